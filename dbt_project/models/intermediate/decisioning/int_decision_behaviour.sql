-- One row per shopping event of a resolved customer in the behaviour window before
-- as_of (chorus_decision_behaviour_days: web events 30 days or the longest view or cart
-- window, app events the app users' window, 90 days): product views, cart additions
-- and checkouts (web and app) and app opens, with the product's category. An event's
-- customer is that of its most trusted identifier that resolved (account, email,
-- cookie or device; chorus_resolve_customer).

with

web as (

    select
        {{ dbt.concat(["'web|'", 'web_event_id']) }} as event_key,
        event_type,
        product_id,
        user_id,
        email,
        anonymous_id,
        cast(null as {{ dbt.type_string() }}) as device_id,
        occurred_at
    from {{ ref('stg_web__events') }}
    where
        event_type in ('product_view', 'add_to_cart', 'checkout_started')
        and occurred_at
        > {{ dbt.dateadd('day', -chorus_decision_behaviour_days(), chorus_as_of()) }}

),

app as (

    select
        {{ dbt.concat(["'app|'", 'app_event_id']) }} as event_key,
        event_type,
        product_id,
        user_id,
        cast(null as {{ dbt.type_string() }}) as email,
        cast(null as {{ dbt.type_string() }}) as anonymous_id,
        device_id,
        occurred_at
    from {{ ref('stg_app__events') }}
    where
        event_type in ('product_view', 'add_to_cart', 'app_open')
        and occurred_at
        > {{ dbt.dateadd('day', -chorus_decision_behaviour_days('app'), chorus_as_of()) }}

),

events as (

    select * from web
    union all
    select * from app

),

resolved as (

    {{ chorus_resolve_customer(
        'events', 'event_key', ['user_id', 'email', 'device_id', 'anonymous_id']
    ) }}

),

products as (

    select
        product_id,
        category
    from {{ ref('stg_shop__products') }}

),

final as (

    select
        events.event_key,
        resolved.customer_id,
        events.product_id,
        products.category,
        events.occurred_at,
        case
            when events.event_type = 'checkout_started' then 'add_to_cart' else events.event_type
        end
            as event_type
    from events
    inner join resolved
        on events.event_key = resolved.event_key
    left join products
        on events.product_id = products.product_id

)

select * from final
