-- One row per resolved customer, source (web or app), event type and product (none for
-- app opens) in the behaviour window before as_of (chorus_decision_behaviour_days: web
-- events 30 days or the longest view or cart window, app events the app users' window,
-- 90 days): product views, cart additions (checkouts count as cart additions) and app
-- opens, with the product's category, how many there were, how many in the category
-- affinity window, and the last one. An event's customer is that of its most trusted
-- identifier that resolved (account, email, cookie or device; chorus_resolve_customer).
-- active_periods: the decision periods of the visit window (chorus_visit_window_days)
-- with such an event, as bits of a BIGINT (bit i: the period that ended i periods
-- before as_of), so that a customer's periods can be counted across products and sets
-- of identifiers (bit_or) without a row per day.
-- The events are counted per set of identifiers first and each set is resolved once:
-- at 1M customers 4.0M events carry 1.0M sets.
{%- set affinity_start = dbt.dateadd(
    'day', -var('chorus_category_affinity_days'), chorus_as_of()
) %}
{%- set period_seconds = chorus_decision_period_seconds() %}
{%- set visit_seconds = period_seconds * chorus_visit_window_periods() %}

with

web as (

    select
        'web' as event_source,
        case when event_type = 'checkout_started' then 'add_to_cart' else event_type end
            as event_type,
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
        and occurred_at <= {{ chorus_as_of() }}

),

app as (

    select
        'app' as event_source,
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
        and occurred_at <= {{ chorus_as_of() }}

),

events as (

    select * from web
    union all
    select * from app

),

-- the events of each set of identifiers, source, type and product
per_identifier_set as (

    select
        user_id,
        email,
        anonymous_id,
        device_id,
        event_source,
        event_type,
        product_id,
        count(*) as event_count,
        sum(case when occurred_at > {{ affinity_start }} then 1 else 0 end)
            as affinity_event_count,
        max(occurred_at) as last_occurred_at,
        bit_or(
            case
                when seconds_before < {{ visit_seconds }}
                    then cast(
                        power(
                            2,
                            floor(
                                cast(seconds_before as {{ chorus_type_double() }})
                                / {{ period_seconds }}
                            )
                        )
                        as bigint
                    )
                else cast(0 as bigint)
            end
        ) as active_periods
    from (
        select
            *,
            {{ chorus_epoch_seconds(chorus_as_of()) }} - {{ chorus_epoch_seconds('occurred_at') }}
                as seconds_before
        from events
    ) as timed
    group by 1, 2, 3, 4, 5, 6, 7

),

-- a set's key: null and '' are the same here, and neither resolves
keyed as (

    select
        {{ dbt.concat([
            "coalesce(user_id, '')", "'|'", "coalesce(email, '')", "'|'",
            "coalesce(anonymous_id, '')", "'|'", "coalesce(device_id, '')"
        ]) }} as identifier_set,
        *
    from per_identifier_set

),

identifier_sets as (

    select distinct
        identifier_set,
        user_id,
        email,
        anonymous_id,
        device_id
    from keyed

),

resolved as (

    {{ chorus_resolve_customer(
        'identifier_sets', 'identifier_set', ['user_id', 'email', 'device_id', 'anonymous_id']
    ) }}

),

products as (

    select
        product_id,
        category
    from {{ ref('stg_shop__products') }}

),

per_customer as (

    select
        resolved.customer_id,
        keyed.event_source,
        keyed.event_type,
        keyed.product_id,
        sum(keyed.event_count) as event_count,
        sum(keyed.affinity_event_count) as affinity_event_count,
        max(keyed.last_occurred_at) as last_occurred_at,
        bit_or(keyed.active_periods) as active_periods
    from keyed
    inner join resolved
        on keyed.identifier_set = resolved.identifier_set
    group by 1, 2, 3, 4

),

final as (

    select
        per_customer.customer_id,
        per_customer.event_source,
        per_customer.event_type,
        per_customer.product_id,
        products.category,
        per_customer.event_count,
        per_customer.affinity_event_count,
        per_customer.last_occurred_at,
        per_customer.active_periods
    from per_customer
    left join products
        on per_customer.product_id = products.product_id

)

select * from final
