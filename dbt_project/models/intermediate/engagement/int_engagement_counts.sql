-- One row per (customer, channel, metric) the customer received delivered marketing
-- messages on: the trials (messages delivered) and successes of each metric, unpivoted
-- so one prior fit serves them all. Metrics: open (opened, or clicked: a click proves
-- the open; only where channel_channel_rules.tracks_opens), click, reply, and engagement (the
-- channel's engagement_event in channel_policy). Messages to shared or junk identifiers
-- have no customer and count for nobody; transactional messages are opened for other
-- reasons and stay out.

with

contacts as (

    select
        contacts.customer_id,
        contacts.channel,
        contacts.delivered_at,
        contacts.opened_at,
        contacts.clicked_at,
        contacts.replied_at,
        contacts.engaged_at,
        channel_rules.tracks_opens
    from {{ ref('contacts') }} as contacts
    inner join {{ ref('channel_policy') }} as channel_rules
        on contacts.channel = channel_rules.channel
    where
        contacts.customer_id is not null
        and contacts.purpose = 'marketing'
        and contacts.delivered_at is not null

),

per_channel as (

    select
        customer_id,
        channel,
        tracks_opens,
        cast(count(*) as bigint) as delivered,
        cast(sum(
            case when opened_at is not null or clicked_at is not null then 1 else 0 end
        ) as bigint) as opened,
        cast(sum(case when clicked_at is not null then 1 else 0 end) as bigint) as clicked,
        cast(sum(case when replied_at is not null then 1 else 0 end) as bigint) as replied,
        cast(sum(case when engaged_at is not null then 1 else 0 end) as bigint) as engaged
    from contacts
    group by 1, 2, 3

),

final as (

    select
        customer_id,
        channel,
        'open' as metric,
        delivered as trials,
        opened as successes
    from per_channel
    where tracks_opens
    union all
    select
        customer_id,
        channel,
        'click' as metric,
        delivered as trials,
        clicked as successes
    from per_channel
    union all
    select
        customer_id,
        channel,
        'reply' as metric,
        delivered as trials,
        replied as successes
    from per_channel
    union all
    select
        customer_id,
        channel,
        'engagement' as metric,
        delivered as trials,
        engaged as successes
    from per_channel

)

select * from final
