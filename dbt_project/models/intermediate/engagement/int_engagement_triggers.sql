-- One row per customer event that fatigue or a suppression rule reacts to, with the
-- customer it belongs to now: purchase (one row per product of a completed order, with
-- its category), complaint (an email spam report, a complaint ticket, a chat marked as a
-- complaint), chat_message (a chat message with its sentiment, -1..1), csat (a support
-- ticket's rating, 1..5), unsubscribe_page_view (a visit to the unsubscribe page),
-- email_unsubscribe, sms_stop and hard_bounce (from consent and reachability). An
-- event's customer is that of its most trusted identifier that resolved (account,
-- email, cookie; chorus_resolve_customer).
-- Per customer (int_engagement_batches): an incremental batch rewrites the customers in
-- its scope.
{{ config(
    materialized=chorus_scoped_materialization_name(),
    chorus_customer_scoped=true,
    chorus_scope_reasons=['structure', 'orders', 'complaints', 'tickets', 'trigger_events', 'consent'],
) }}

with

purchases as (

    select
        'purchase' as trigger_event,
        {{ dbt.concat([
            "orders.order_id", "'-'", "cast(items.line_number as " ~ dbt.type_string() ~ ")"
        ]) }}
            as source_event_id,
        orders.customer_id,
        orders.ordered_at as occurred_at,
        items.product_id,
        items.category,
        cast(null as {{ chorus_type_double() }}) as score
    from {{ ref('int_orders_resolved') }} as orders
    inner join {{ ref('stg_shop__order_items') }} as items
        on orders.order_id = items.order_id
    where orders.status = 'completed' and {{ chorus_in_scope('orders.customer_id') }}

),

email_complaints as (

    select
        'complaint' as trigger_event,
        contact_id as source_event_id,
        customer_id,
        complained_at as occurred_at,
        cast(null as {{ dbt.type_string() }}) as product_id,
        cast(null as {{ dbt.type_string() }}) as category,
        cast(null as {{ chorus_type_double() }}) as score
    from {{ ref('contacts') }}
    where
        customer_id is not null
        and complained_at is not null
        and {{ chorus_in_scope('customer_id') }}

),

tickets as (

    select * from {{ ref('stg_support__tickets') }}

),

chats as (

    select
        chat_event_id,
        user_id,
        email,
        anonymous_id,
        sentiment,
        is_complaint,
        occurred_at
    from {{ ref('stg_chat__events') }}
    where is_complaint or sentiment is not null

),

unsubscribe_page_views as (

    select
        web_event_id,
        user_id,
        email,
        anonymous_id,
        occurred_at
    from {{ ref('stg_web__events') }}
    where event_type = 'unsubscribe_page_view'

),

-- the tickets, chats and page views, resolved together (one pass over the identifiers)
identified as (

    select
        'ticket' as event_source,
        ticket_id as event_id,
        user_id,
        email,
        cast(null as {{ dbt.type_string() }}) as anonymous_id
    from tickets
    union all
    select
        'chat' as event_source,
        chat_event_id as event_id,
        user_id,
        email,
        anonymous_id
    from chats
    union all
    select
        'page_view' as event_source,
        web_event_id as event_id,
        user_id,
        email,
        anonymous_id
    from unsubscribe_page_views

),

keyed as (

    select
        {{ dbt.concat(['event_source', "'|'", 'event_id']) }} as event_key,
        *
    from identified

),

resolved as (

    {{ chorus_resolve_customer('keyed', 'event_key', ['user_id', 'email', 'anonymous_id']) }}

),

event_customers as (

    select
        keyed.event_source,
        keyed.event_id,
        resolved.customer_id
    from keyed
    inner join resolved
        on keyed.event_key = resolved.event_key

),

ticket_events as (

    select
        'complaint' as trigger_event,
        tickets.ticket_id as source_event_id,
        event_customers.customer_id,
        tickets.opened_at as occurred_at,
        cast(null as {{ dbt.type_string() }}) as product_id,
        cast(null as {{ dbt.type_string() }}) as category,
        cast(null as {{ chorus_type_double() }}) as score
    from tickets
    inner join event_customers
        on event_customers.event_source = 'ticket' and tickets.ticket_id = event_customers.event_id
    where tickets.is_complaint
    union all
    -- a rating is given when the ticket is resolved
    select
        'csat' as trigger_event,
        tickets.ticket_id as source_event_id,
        event_customers.customer_id,
        coalesce(tickets.resolved_at, tickets.opened_at) as occurred_at,
        cast(null as {{ dbt.type_string() }}) as product_id,
        cast(null as {{ dbt.type_string() }}) as category,
        cast(tickets.csat as {{ chorus_type_double() }}) as score
    from tickets
    inner join event_customers
        on event_customers.event_source = 'ticket' and tickets.ticket_id = event_customers.event_id
    where tickets.csat is not null

),

chat_events as (

    select
        case when chats.is_complaint then 'complaint' else 'chat_message' end
            as trigger_event,
        chats.chat_event_id as source_event_id,
        event_customers.customer_id,
        chats.occurred_at,
        cast(null as {{ dbt.type_string() }}) as product_id,
        cast(null as {{ dbt.type_string() }}) as category,
        chats.sentiment as score
    from chats
    inner join event_customers
        on event_customers.event_source = 'chat' and chats.chat_event_id = event_customers.event_id

),

page_views as (

    select
        'unsubscribe_page_view' as trigger_event,
        viewed.web_event_id as source_event_id,
        event_customers.customer_id,
        viewed.occurred_at,
        cast(null as {{ dbt.type_string() }}) as product_id,
        cast(null as {{ dbt.type_string() }}) as category,
        cast(null as {{ chorus_type_double() }}) as score
    from unsubscribe_page_views as viewed
    inner join event_customers
        on
            event_customers.event_source = 'page_view'
            and viewed.web_event_id = event_customers.event_id

),

consent_events as (

    select
        case source
            when 'sms_stop' then 'sms_stop'
            else 'email_unsubscribe'
        end as trigger_event,
        source_event_id,
        customer_id,
        occurred_at,
        cast(null as {{ dbt.type_string() }}) as product_id,
        cast(null as {{ dbt.type_string() }}) as category,
        cast(null as {{ chorus_type_double() }}) as score
    from {{ ref('int_consent_signals') }}
    where
        customer_id is not null
        and {{ chorus_in_scope('customer_id') }}
        and status = 'opted_out'
        and (
            source = 'sms_stop'
            or (channel = 'email' and source in ('email_unsubscribe', 'unsubscribe_link'))
        )

),

final as (

    select * from purchases
    union all
    select * from email_complaints
    union all
    select * from ticket_events
    union all
    select * from chat_events
    union all
    select * from page_views
    union all
    select * from consent_events

)

select * from final
