-- One row per (customer, channel of channel_policy): can a message reach the customer
-- there? It needs an identifier of the channel's type (channel_policy.identifier_type)
-- that is the customer's own (not shared, not junk), and the customer's latest messages
-- on the channel must not all have bounced: var chorus_unreachable_after_bounces
-- bounces in a row, with no delivery after them, make the channel unreachable (the
-- contract's events do not tell a hard bounce from a soft one, and one soft bounce
-- must not silence an address for good). A later delivery makes it reachable again.
-- Per customer (int_engagement_batches): an incremental batch rewrites the customers in
-- its scope.
{{ config(
    materialized=chorus_scoped_materialization_name(),
    chorus_customer_scoped=true,
    chorus_scope_reasons=['structure', 'bounces'],
) }}

with

policy as (

    select
        channel,
        identifier_type
    from {{ ref('channel_policy') }}

),

identifiers as (

    select
        identifiers.customer_id,
        identifiers.identifier_type
    from {{ chorus_scoped_identifiers() }} as identifiers
    where identifiers.customer_id is not null

),

held as (

    select
        identifiers.customer_id,
        policy.channel,
        count(*) as identifier_count
    from identifiers
    inner join policy
        on identifiers.identifier_type = policy.identifier_type
    group by 1, 2

),

contacts as {{ chorus_not_materialized() }} (

    select
        customer_id,
        channel,
        sent_at,
        delivered_at,
        bounced_at
    from {{ ref('contacts') }}
    where customer_id is not null and {{ chorus_in_scope('customer_id') }}

),

last_delivery as (

    select
        customer_id,
        channel,
        max(delivered_at) as last_delivered_at
    from contacts
    group by 1, 2

),

bounces as (

    select
        contacts.customer_id,
        contacts.channel,
        count(*) as bounces_since_delivery,
        max(contacts.bounced_at) as last_bounced_at
    from contacts
    left join last_delivery
        on
            contacts.customer_id = last_delivery.customer_id
            and contacts.channel = last_delivery.channel
    where
        contacts.bounced_at is not null
        and (
            last_delivery.last_delivered_at is null
            or contacts.bounced_at > last_delivery.last_delivered_at
        )
    group by 1, 2

),

final as (

    select
        held.customer_id,
        held.channel,
        held.identifier_count,
        bounces.last_bounced_at,
        coalesce(bounces.bounces_since_delivery, 0) as bounces_since_delivery,
        coalesce(bounces.bounces_since_delivery, 0)
        >= {{ var('chorus_unreachable_after_bounces') }} as is_bounced
    from held
    left join bounces
        on
            held.customer_id = bounces.customer_id
            and held.channel = bounces.channel

)

select * from final
