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
-- Incremental (delete+insert on source_table, source_event_id), as contacts: a build
-- adds the consent events and SMS opt-ins loaded since the previous build (less var
-- chorus_engagement_lookback_hours) or dated after its as_of, the answers of the
-- messages contacts wrote since (built_at), and rewrites the stored signals whose
-- customer the identity batches since changed or whose campaign's objective (the
-- purpose of an unsubscribe) the seeds changed. An as_of earlier than the previous
-- build's rebuilds it whole; Spark builds it whole.
{{ config(
    materialized=chorus_incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key=['source_table', 'source_event_id'],
    on_schema_change='fail',
    chorus_as_of_incremental=true,
) }}

{% if is_incremental() %}
    {#- the previous build's watermarks, as constants -#}
    {%- set previous = chorus_build_watermarks() -%}
{% else %}
    {%- set previous = {'as_of': none} -%}
{% endif %}
{%- set built_as_of = previous.as_of -%}
{%- set seeds_checksum = chorus_seeds_checksum([('campaigns', 'campaign_id')]) -%}
{#- the raw events (consent events, SMS opt-ins) a build reads: those loaded since the
    previous build, less the lookback, or dated after its as_of -#}
{%- set since_previous_build -%}
    {%- if built_as_of is not none and previous.loaded_through is not none -%}
        (
            _loaded_at > {{ dbt.dateadd(
                'hour',
                -var('chorus_engagement_lookback_hours'),
                "cast('" ~ previous.loaded_through ~ "' as " ~ dbt.type_timestamp() ~ ")"
            ) }}
            or occurred_at > cast('{{ built_as_of }}' as {{ dbt.type_timestamp() }})
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endset %}
{#- the messages contacts wrote since the previous build -#}
{%- set written_since_previous_build -%}
    {%- if built_as_of is not none and previous.loaded_through is not none -%}
        messages.built_at > cast('{{ previous.built_at }}' as {{ dbt.type_timestamp() }})
    {%- else -%}
        true
    {%- endif -%}
{%- endset %}
{#- the purpose an unsubscribe or a STOP opts out of: that of the message it answered;
    a spam complaint opts out of marketing email whatever it answered -#}
{%- set purpose_of_answer -%}
    case
        when IS_COMPLAINT then 'marketing'
        when campaigns.objective = 'transactional' then 'transactional'
        else 'marketing'
    end
{%- endset %}

with

consent_events as (

    select * from {{ ref('stg_consent__events') }}
    where {{ since_previous_build }}

),

addressed_consent_events as (

    select
        consent_event_id,
        channel,
        purpose,
        status,
        occurred_at,
        _loaded_at,
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
        occurred_at,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        _loaded_at as last_loaded_at
    from addressed_consent_events

),

answer_outcomes as (

    select 'unsubscribed' as outcome
    union all
    select 'complained' as outcome

),

answers as (

    select
        messages.channel,
        messages.message_id,
        messages.campaign_id,
        messages.last_loaded_at,
        outcomes.outcome,
        messages.identifier_type,
        messages.identifier_value,
        {{ purpose_of_answer | replace('IS_COMPLAINT', "outcomes.outcome = 'complained'") }}
            as purpose,
        case
            when outcomes.outcome = 'complained' then messages.complained_at
            else messages.unsubscribed_at
        end as occurred_at
    from {{ ref('contacts') }} as messages
    inner join answer_outcomes as outcomes
        on
            (outcomes.outcome = 'unsubscribed' and messages.unsubscribed_at is not null)
            or (outcomes.outcome = 'complained' and messages.complained_at is not null)
    left join {{ ref('campaigns') }} as campaigns
        on messages.campaign_id = campaigns.campaign_id
    where
        (messages.unsubscribed_at is not null or messages.complained_at is not null)
        and {{ written_since_previous_build }}

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
        occurred_at,
        campaign_id,
        last_loaded_at
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
        occurred_at,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        _loaded_at as last_loaded_at
    from {{ ref('stg_sms__events') }}
    where event_type = 'opted_in' and {{ since_previous_build }}

),

signals as (

    select * from from_consent_events
    union all
    select * from from_messages
    union all
    select * from from_sms_opt_ins

),

{% if built_as_of is not none %}

{#- an answer's purpose from its campaign as the seeds have it now; a consent event's
    own purpose stays -#}
{%- set restated_purpose -%}
    case
        when stored.campaign_id is null then stored.purpose
        else {{ purpose_of_answer | replace('IS_COMPLAINT', "stored.source = 'spam_complaint'") }}
    end
{%- endset %}

-- stored signals whose customer is another now (among the identifiers the identity
-- batches after the one they were resolved with rewrote), or, when the campaigns seed
-- changed since, whose campaign's objective did: rewritten as they are, with the
-- customer and purpose of now
restated as (

    select
        stored.source_event_id,
        stored.source_table,
        stored.identifier_type,
        stored.identifier_value,
        stored.channel,
        {{ restated_purpose }} as purpose,
        stored.status,
        stored.source,
        stored.occurred_at,
        stored.campaign_id,
        stored.last_loaded_at
    from {{ this }} as stored
    left join {{ ref('customer_identifiers') }} as identifiers
        on
            stored.identifier_type = identifiers.identifier_type
            and stored.identifier_value = identifiers.identifier_value
            and identifiers.resolved_batch_id > {{ previous.identity_batch_id or 0 }}
    left join {{ ref('campaigns') }} as campaigns
        on stored.campaign_id = campaigns.campaign_id
    where
        (
            identifiers.identifier_value is not null
            and stored.customer_id is distinct from identifiers.customer_id
        )
        {% if previous.seeds_checksum != seeds_checksum -%}
            or stored.purpose is distinct from {{ restated_purpose }}
        {%- endif %}

),

{% endif %}

all_signals as (

    select * from signals
    {% if built_as_of is not none -%}
        union all
        -- a signal both new and restated is taken once, from the new events
        select restated.*
        from restated
        where not exists (
            select 1
            from signals
            where
                signals.source_table = restated.source_table
                and signals.source_event_id = restated.source_event_id
        )
    {%- endif %}

),

final as (

    select
        all_signals.source_event_id,
        all_signals.source_table,
        identifiers.customer_id,
        all_signals.identifier_type,
        all_signals.identifier_value,
        all_signals.channel,
        all_signals.purpose,
        all_signals.status,
        all_signals.source,
        all_signals.occurred_at,
        all_signals.campaign_id,
        all_signals.last_loaded_at,
        {{ chorus_as_of() }} as built_as_of,
        {{ chorus_built_at() }} as built_at,
        {{ chorus_latest_identity_batch() }} as identity_batch_id,
        '{{ seeds_checksum }}' as seeds_checksum
    from all_signals
    left join {{ ref('customer_identifiers') }} as identifiers
        on
            all_signals.identifier_type = identifiers.identifier_type
            and all_signals.identifier_value = identifiers.identifier_value

)

select * from final
