-- One row per provider event that belongs to a message (a send and what followed it),
-- on every channel, in one shape: the channel, the provider's message id, the
-- identifier the message went to, and what happened as one outcome word. Events with
-- no message (an SMS opt-in by keyword, a reply to no text) are consent signals, not
-- contacts, and stay out. Chat prompts are messages too: the conversation is the
-- message, shown to a visitor's account when logged in, else to their cookie; it is
-- delivered when shown.
-- Outcome words: sent, delivered, opened, clicked, replied, bounced (email bounce, SMS
-- failed), complained, unsubscribed (email unsubscribe, SMS STOP), dismissed (push).

with

email as (

    select
        'email' as channel,
        message_id,
        campaign_id,
        'email' as identifier_type,
        email as identifier_value,
        event_type as outcome,
        occurred_at,
        _loaded_at
    from {{ ref('stg_email__events') }}
    where message_id is not null

),

sms as (

    select
        'sms' as channel,
        message_id,
        campaign_id,
        'phone' as identifier_type,
        phone as identifier_value,
        case event_type
            when 'failed' then 'bounced'
            when 'opted_out' then 'unsubscribed'
            else event_type
        end as outcome,
        occurred_at,
        _loaded_at
    from {{ ref('stg_sms__events') }}
    where message_id is not null and event_type <> 'opted_in'

),

push as (

    select
        'push' as channel,
        message_id,
        campaign_id,
        'device_id' as identifier_type,
        device_id as identifier_value,
        event_type as outcome,
        occurred_at,
        _loaded_at
    from {{ ref('stg_push__events') }}
    where message_id is not null

),

chat as (

    select
        'chat' as channel,
        conversation_id as message_id,
        campaign_id,
        case when user_id is not null then 'user_id' else 'anonymous_id' end
            as identifier_type,
        coalesce(user_id, anonymous_id) as identifier_value,
        case event_type
            when 'prompt_shown' then 'sent'
            when 'prompt_clicked' then 'clicked'
            when 'started' then 'replied'
        end as outcome,
        occurred_at,
        _loaded_at
    from {{ ref('stg_chat__events') }}
    where
        conversation_id is not null
        -- a conversation is a contact when Chorus prompted it; one the visitor started
        -- on their own is support, not a message sent
        and conversation_id in (
            select prompted.conversation_id
            from {{ ref('stg_chat__events') }} as prompted
            where prompted.event_type = 'prompt_shown'
        )
        and event_type in ('prompt_shown', 'prompt_clicked', 'started')

),

chat_shown as (

    -- a prompt is shown on the page it was sent to: its send is its delivery
    select
        channel,
        message_id,
        campaign_id,
        identifier_type,
        identifier_value,
        'delivered' as outcome,
        occurred_at,
        _loaded_at
    from chat
    where outcome = 'sent'

),

final as (

    select * from email
    union all
    select * from sms
    union all
    select * from push
    union all
    select * from chat
    union all
    select * from chat_shown

)

select * from final
