-- One row per consent signal, from every source, with the customer it is about now:
-- consent events (sign-up forms, checkout boxes, the preference centre, the cookie
-- banner, app settings), SMS STOP and opt-in replies, email unsubscribes and spam
-- complaints (an opt-out of marketing email). Hard bounces are not consent: they make
-- a channel unreachable (int_consent_reachability).
-- A consent event names the identifier it is about by its channel (sms: the phone,
-- push: the device, others: the email), else the account, else any it carries; it
-- resolves through customer_identifiers, so an opt-out given on any identifier of a
-- customer, a secondary phone included, is the customer's. Channel `all` stays `all`
-- here; int_consent_states applies it to every channel.
{{ config(materialized='table') }}  -- read by several models: computed once

with

consent_events as (

    select * from {{ ref('stg_consent__events') }}

),

addressed_consent_events as (

    select
        consent_event_id,
        channel,
        purpose,
        status,
        occurred_at,
        case
            when channel = 'sms' and phone is not null then 'phone'
            when channel = 'push' and device_id is not null then 'device_id'
            when channel not in ('sms', 'push') and email is not null then 'email'
            when user_id is not null then 'user_id'
            when email is not null then 'email'
            when phone is not null then 'phone'
            when device_id is not null then 'device_id'
        end as identifier_type,
        case
            when channel = 'sms' and phone is not null then phone
            when channel = 'push' and device_id is not null then device_id
            when channel not in ('sms', 'push') and email is not null then email
            when user_id is not null then user_id
            when email is not null then email
            when phone is not null then phone
            when device_id is not null then device_id
        end as identifier_value,
        coalesce(consent_source, 'consent_event') as source  -- noqa: RF04
    from consent_events

),

from_consent_events as (

    select
        consent_event_id as source_event_id,
        'consent_events' as source_table,
        identifier_type,
        identifier_value,
        channel,
        purpose,
        status,
        source,
        occurred_at
    from addressed_consent_events

),

answer_outcomes as (

    select 'unsubscribed' as outcome
    union all
    select 'complained' as outcome

),

answers as (

    -- an unsubscribe or a STOP opts out of the purpose of the message it answered; a
    -- spam complaint opts out of marketing email whatever it answered
    select
        messages.channel,
        messages.message_id,
        outcomes.outcome,
        messages.identifier_type,
        messages.identifier_value,
        case
            when outcomes.outcome = 'complained' then 'marketing'
            when campaigns.objective = 'transactional' then 'transactional'
            else 'marketing'
        end as purpose,
        case
            when outcomes.outcome = 'complained' then messages.complained_at
            else messages.unsubscribed_at
        end as occurred_at
    from {{ ref('int_engagement_messages') }} as messages
    inner join answer_outcomes as outcomes
        on
            (outcomes.outcome = 'unsubscribed' and messages.unsubscribed_at is not null)
            or (outcomes.outcome = 'complained' and messages.complained_at is not null)
    left join {{ ref('campaigns') }} as campaigns
        on messages.campaign_id = campaigns.campaign_id
    where messages.unsubscribed_at is not null or messages.complained_at is not null

),

from_messages as (

    select
        {{ dbt.concat(["channel", "'-'", "message_id", "'-'", "outcome"]) }}
            as source_event_id,
        {{ dbt.concat(["channel", "'_events'"]) }} as source_table,
        identifier_type,
        identifier_value,
        channel,
        purpose,
        'opted_out' as status,
        case
            when outcome = 'complained' then 'spam_complaint'
            when channel = 'sms' then 'sms_stop'
            else 'email_unsubscribe'
        end as source,  -- noqa: RF04
        occurred_at
    from answers

),

from_sms_opt_ins as (

    -- the provider's record of an opt-in by keyword (START, YES)
    select
        sms_event_id as source_event_id,
        'sms_events' as source_table,
        'phone' as identifier_type,
        phone as identifier_value,
        'sms' as channel,
        'marketing' as purpose,
        'opted_in' as status,
        'sms_keyword' as source,  -- noqa: RF04
        occurred_at
    from {{ ref('stg_sms__events') }}
    where event_type = 'opted_in'

),

signals as (

    select * from from_consent_events
    union all
    select * from from_messages
    union all
    select * from from_sms_opt_ins

),

final as (

    select
        signals.source_event_id,
        signals.source_table,
        identifiers.customer_id,
        signals.identifier_type,
        signals.identifier_value,
        signals.channel,
        signals.purpose,
        signals.status,
        signals.source,
        signals.occurred_at
    from signals
    left join {{ ref('customer_identifiers') }} as identifiers
        on
            signals.identifier_type = identifiers.identifier_type
            and signals.identifier_value = identifiers.identifier_value

)

select * from final
