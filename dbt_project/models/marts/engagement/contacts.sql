-- One row per message sent on any channel (the contact history), under the customer its
-- identifier belongs to now: int_engagement_messages keeps the identifier, this joins
-- it to customer_identifiers, so after a merge the surviving id owns both histories.
-- A message to a shared identifier (a household email) or a junk one keeps its row
-- with no customer and is_shared_identifier / is_junk_identifier set.

with

messages as (

    select * from {{ ref('int_engagement_messages') }}

),

identifiers as (

    select
        identifier_type,
        identifier_value,
        customer_id,
        is_shared,
        is_junk
    from {{ ref('customer_identifiers') }}

),

campaigns as (

    select * from {{ ref('campaigns') }}

),

channel_rules as (

    select
        channel,
        engagement_event
    from {{ ref('channel_policy') }}

),

final as (

    select
        messages.contact_id,
        identifiers.customer_id,
        messages.channel,
        messages.campaign_id,
        campaigns.objective,
        campaigns.topic,
        campaigns.promotion_family,
        campaigns.offer_code,
        messages.message_id,
        messages.identifier_type,
        messages.identifier_value,
        messages.sent_at,
        messages.is_send_missing,
        messages.delivered_at,
        messages.opened_at,
        messages.clicked_at,
        messages.replied_at,
        messages.bounced_at,
        messages.complained_at,
        messages.unsubscribed_at,
        messages.dismissed_at,
        messages.outcome,
        -- the channel's engagement_event (channel_policy): what counts as engaging
        case channel_rules.engagement_event
            when 'opened' then coalesce(messages.opened_at, messages.clicked_at)
            when 'clicked' then messages.clicked_at
            when 'replied' then messages.replied_at
        end as engaged_at,
        case
            when campaigns.objective = 'transactional' then 'transactional'
            else 'marketing'
        end as purpose,
        coalesce(identifiers.is_shared, false) as is_shared_identifier,
        coalesce(identifiers.is_junk, false) as is_junk_identifier
    from messages
    left join identifiers
        on
            messages.identifier_type = identifiers.identifier_type
            and messages.identifier_value = identifiers.identifier_value
    left join campaigns
        on messages.campaign_id = campaigns.campaign_id
    left join channel_rules
        on messages.channel = channel_rules.channel

)

select * from final
