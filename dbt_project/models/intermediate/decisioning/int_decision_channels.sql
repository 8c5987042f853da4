-- One row per (candidate, channel the campaign allows): may the message go there, and
-- how well would it do. A channel is usable when the customer consents for the
-- campaign's purpose (transactional objective: transactional, else marketing), can be
-- reached there, and no active suppression of the channel applies (scope channel; for
-- paid media the paid_audience scope: 'prospecting' holds acquisition campaigns). Its
-- expected engagement is the customer's smoothed engagement rate on the channel
-- (customer_engagement; paid media: var chorus_ads_expected_engagement), times
-- chorus_format_mismatch_factor when the channel does not suit the campaign's content
-- format, times chorus_journey_unopened_channel_factor on the channel a journey's
-- previous step went unopened on, and on a channel shown only inside a visit
-- (channel_policy.shown_on_visit: a chat prompt, whose rate is per prompt shown)
-- times the chance that the customer visits within the period
-- (int_decision_customer_signals.visit_probability). block_reason says why a channel
-- is not usable (the consent status, unreachable, or the suppression): the table keeps
-- only what the scoring reads, as each column of its 7M rows at 1M customers costs
-- time to write.

with

candidates as (

    select
        candidates.candidate_id,
        candidates.customer_id,
        candidates.previous_step_channel,
        campaigns.objective,
        campaigns.content_format,
        campaigns.allowed_channels,
        {{ chorus_campaign_purpose('campaigns.objective') }} as purpose
    from {{ ref('int_decision_candidates') }} as candidates
    inner join {{ ref('campaigns') }} as campaigns
        on candidates.campaign_id = campaigns.campaign_id

),

policy as (

    select * from {{ ref('channel_policy') }}

),

channel_suppressions as (

    select
        customer_id,
        scope,
        scope_value,
        exempt_objectives,
        reason
    from {{ ref('suppressions') }}
    where scope in ('channel', 'paid_audience')

),

options as (

    select
        candidates.candidate_id,
        candidates.customer_id,
        candidates.objective,
        candidates.purpose,
        candidates.content_format,
        candidates.previous_step_channel,
        policy.channel,
        policy.cost_per_message,
        policy.is_contact,
        policy.shown_on_visit,
        {{ chorus_in_pipe_list('policy.content_formats', 'candidates.content_format') }}
            as suits_format
    from candidates
    inner join policy
        on {{ chorus_in_pipe_list('candidates.allowed_channels', 'policy.channel') }}

),

blocking as (

    select
        options.candidate_id,
        options.channel,
        min(channel_suppressions.reason) as suppression_reason
    from options
    inner join channel_suppressions
        on
            options.customer_id = channel_suppressions.customer_id
            and {{ chorus_suppression_applies(
                'channel_suppressions', 'options.objective', channel='options.channel'
            ) }}
    group by 1, 2

),

final as (

    select
        options.candidate_id,
        options.channel,
        options.cost_per_message,
        options.is_contact,
        engagement.peak_hour_local,
        case
            when consent.customer_id is null then 'no consent record'
            when
                not consent.is_consented
                then {{ dbt.concat(["'not consented ('", 'consent.status', "')'"]) }}
            when not consent.is_reachable then 'unreachable'
            when blocking.suppression_reason is not null
                then {{ dbt.concat(["'suppressed: '", 'blocking.suppression_reason']) }}
        end as block_reason,
        cast(
            coalesce(
                engagement.engagement_rate,
                case
                    when options.channel = 'ads' then {{ var('chorus_ads_expected_engagement') }}
                end,
                0
            )
            * case
                when options.suits_format then 1 else {{ var('chorus_format_mismatch_factor') }}
            end
            * case
                when options.channel = options.previous_step_channel
                    then {{ var('chorus_journey_unopened_channel_factor') }}
                else 1
            end
            * case
                when options.shown_on_visit then coalesce(signals.visit_probability, 0) else 1
            end
            as {{ chorus_type_double() }}
        ) as expected_engagement
    from options
    left join {{ ref('customer_consent') }} as consent
        on
            options.customer_id = consent.customer_id
            and options.channel = consent.channel
            and options.purpose = consent.purpose
    left join blocking
        on options.candidate_id = blocking.candidate_id and options.channel = blocking.channel
    left join {{ ref('customer_engagement') }} as engagement
        on options.customer_id = engagement.customer_id and options.channel = engagement.channel
    left join {{ ref('int_decision_customer_signals') }} as signals
        on options.shown_on_visit and options.customer_id = signals.customer_id

)

select
    *,
    block_reason is null as is_usable
from final
