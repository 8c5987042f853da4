-- One row per customer event that fatigue or a suppression rule reacts to, with the
-- customer it belongs to now: purchase (one row per product of a completed order, with
-- its category), complaint (an email spam report, a complaint ticket, a chat marked as a
-- complaint), chat_message (a chat message with its sentiment, -1..1), csat (a support
-- ticket's rating, 1..5), unsubscribe_page_view (a visit to the unsubscribe page),
-- email_unsubscribe, sms_stop and hard_bounce (from consent and reachability). An
-- event's customer is that of its most trusted identifier that resolved (account,
-- email, cookie).
{{ config(materialized='table') }}  -- read by several models: computed once

with

identifiers as (

    select
        identifier_type,
        identifier_value,
        customer_id
    from {{ ref('customer_identifiers') }}
    where customer_id is not null

),

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
    where orders.customer_id is not null and orders.status = 'completed'

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
    where customer_id is not null and complained_at is not null

),

tickets as (

    select
        tickets.ticket_id,
        tickets.is_complaint,
        tickets.csat,
        tickets.opened_at,
        tickets.resolved_at,
        coalesce(by_user.customer_id, by_email.customer_id) as customer_id
    from {{ ref('stg_support__tickets') }} as tickets
    left join identifiers as by_user
        on by_user.identifier_type = 'user_id' and tickets.user_id = by_user.identifier_value
    left join identifiers as by_email
        on by_email.identifier_type = 'email' and tickets.email = by_email.identifier_value

),

ticket_events as (

    select
        'complaint' as trigger_event,
        ticket_id as source_event_id,
        customer_id,
        opened_at as occurred_at,
        cast(null as {{ dbt.type_string() }}) as product_id,
        cast(null as {{ dbt.type_string() }}) as category,
        cast(null as {{ chorus_type_double() }}) as score
    from tickets
    where customer_id is not null and is_complaint
    union all
    -- a rating is given when the ticket is resolved
    select
        'csat' as trigger_event,
        ticket_id as source_event_id,
        customer_id,
        coalesce(resolved_at, opened_at) as occurred_at,
        cast(null as {{ dbt.type_string() }}) as product_id,
        cast(null as {{ dbt.type_string() }}) as category,
        cast(csat as {{ chorus_type_double() }}) as score
    from tickets
    where customer_id is not null and csat is not null

),

chats as (

    select
        chats.chat_event_id,
        chats.event_type,
        chats.sentiment,
        chats.is_complaint,
        chats.occurred_at,
        coalesce(by_user.customer_id, by_email.customer_id, by_cookie.customer_id)
            as customer_id
    from {{ ref('stg_chat__events') }} as chats
    left join identifiers as by_user
        on by_user.identifier_type = 'user_id' and chats.user_id = by_user.identifier_value
    left join identifiers as by_email
        on by_email.identifier_type = 'email' and chats.email = by_email.identifier_value
    left join identifiers as by_cookie
        on
            by_cookie.identifier_type = 'anonymous_id'
            and chats.anonymous_id = by_cookie.identifier_value
    where chats.is_complaint or chats.sentiment is not null

),

chat_events as (

    select
        case when is_complaint then 'complaint' else 'chat_message' end as trigger_event,
        chat_event_id as source_event_id,
        customer_id,
        occurred_at,
        cast(null as {{ dbt.type_string() }}) as product_id,
        cast(null as {{ dbt.type_string() }}) as category,
        sentiment as score
    from chats
    where customer_id is not null

),

page_views as (

    select
        'unsubscribe_page_view' as trigger_event,
        web.web_event_id as source_event_id,
        coalesce(by_user.customer_id, by_email.customer_id, by_cookie.customer_id)
            as customer_id,
        web.occurred_at,
        cast(null as {{ dbt.type_string() }}) as product_id,
        cast(null as {{ dbt.type_string() }}) as category,
        cast(null as {{ chorus_type_double() }}) as score
    from {{ ref('stg_web__events') }} as web
    left join identifiers as by_user
        on by_user.identifier_type = 'user_id' and web.user_id = by_user.identifier_value
    left join identifiers as by_email
        on by_email.identifier_type = 'email' and web.email = by_email.identifier_value
    left join identifiers as by_cookie
        on
            by_cookie.identifier_type = 'anonymous_id'
            and web.anonymous_id = by_cookie.identifier_value
    where web.event_type = 'unsubscribe_page_view'

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
    where customer_id is not null
    union all
    select * from page_views
    where customer_id is not null
    union all
    select * from consent_events

)

select * from final
