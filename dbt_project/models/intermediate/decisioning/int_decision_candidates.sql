-- One row per candidate message at as_of: a (customer, campaign) pair whose audience
-- matches, for every active campaign that is not a journey step, and every journey
-- step that is due. Journey steps:
--   step 1 is due wait_hours after the customer entered its campaign's audience
--     (qualified_at), when they never entered the journey or qualified again at least
--     chorus_journey_reentry_days after entering it last (a new cart); a journey whose
--     step 1 is transactional starts again on any qualification after its last entry
--     (a new order gets its own confirmation);
--   a later step is due after the last step sent, once the waits of the steps between
--     have passed: the first later step whose condition holds on the last step's
--     engagement (on any channel; a step whose condition fails is skipped, and its
--     wait still counts). A run that exited still yields its next step, which the send
--     queue suppresses with its reason.
-- A step is stale and dropped once its stale_after_hours (journey_steps; blank:
-- chorus_journey_stale_days) have passed since it was due (chorus_stale_at). Journey
-- campaigns go out only as journey steps. candidate_id is unique per row: a 60-bit hash of
-- the row's customer, campaign, journey and step (chorus_hash_bigint).

with

campaigns as (

    select * from {{ ref('campaigns') }}

),

steps as (

    select
        journey_id,
        step,
        campaign_id,
        wait_hours,
        condition,
        stale_after_hours,
        -- hours from the journey's entry to the step, every wait counted
        sum(wait_hours) over (
            partition by journey_id order by step rows between unbounded preceding and current row
        ) as hours_from_entry
    from {{ ref('journey_steps') }}

),

members as (

    select * from {{ ref('int_decision_audience_members') }}

),

runs as (

    select * from {{ ref('int_decision_journeys') }}

),

standalone as (

    select
        members.customer_id,
        campaigns.campaign_id,
        cast(null as {{ dbt.type_string() }}) as journey_id,
        cast(null as {{ dbt.type_int() }}) as step,
        'campaign' as candidate_source,
        members.qualified_at,
        {{ chorus_as_of() }} as due_at,
        false as is_exited,
        cast(null as {{ dbt.type_timestamp() }}) as exited_at,
        false as previous_step_unopened,
        cast(null as {{ dbt.type_string() }}) as previous_step_channel
    from campaigns
    inner join members
        on campaigns.audience = members.audience
    where
        campaigns.starts_at <= {{ chorus_as_of() }}
        and campaigns.ends_at > {{ chorus_as_of() }}
        and campaigns.campaign_id not in (select steps.campaign_id from steps)

),

first_steps as (

    select
        members.customer_id,
        steps.campaign_id,
        steps.journey_id,
        steps.step,
        'journey' as candidate_source,
        members.qualified_at,
        {{ dbt.dateadd('hour', 'steps.wait_hours', 'members.qualified_at') }} as due_at,
        false as is_exited,
        cast(null as {{ dbt.type_timestamp() }}) as exited_at,
        false as previous_step_unopened,
        cast(null as {{ dbt.type_string() }}) as previous_step_channel
    from steps
    inner join campaigns
        on steps.campaign_id = campaigns.campaign_id
    inner join members
        on campaigns.audience = members.audience
    left join runs
        on members.customer_id = runs.customer_id and steps.journey_id = runs.journey_id
    where
        steps.step = 1
        and (
            runs.entered_at is null
            -- the re-entry days; none for a service journey, which answers every new
            -- event (each order is confirmed). In parentheses: dbt-spark's dateadd
            -- multiplies the interval as written.
            or members.qualified_at > {{ dbt.dateadd(
                'day',
                '(case when ' ~ chorus_campaign_purpose('campaigns.objective')
                ~ " = 'transactional' then 0 else "
                ~ var('chorus_journey_reentry_days') ~ ' end)',
                'runs.entered_at'
            ) }}
        )

),

-- the later steps of each run, with whether each one's condition holds
later_steps as (

    select
        runs.customer_id,
        steps.campaign_id,
        steps.journey_id,
        steps.step,
        runs.entered_at,
        runs.is_exited,
        runs.exited_at,
        runs.last_step_opened,
        runs.last_step_channel,
        -- the interval in parentheses: dbt-spark's dateadd multiplies it as written
        {{ dbt.dateadd(
            'hour', '(steps.hours_from_entry - sent_step.hours_from_entry)', 'runs.last_sent_at'
        ) }} as due_at,
        case steps.condition
            when 'always' then true
            when 'not_opened' then not runs.last_step_opened
            when 'opened_not_clicked' then runs.last_step_opened and not runs.last_step_clicked
            when
                'clicked_not_purchased'
                then runs.last_step_clicked and not runs.purchased_since_last_step
            else false
        end as condition_holds
    from runs
    inner join steps as sent_step
        on runs.journey_id = sent_step.journey_id and runs.last_step = sent_step.step
    inner join steps
        on runs.journey_id = steps.journey_id and runs.last_step < steps.step

),

next_steps as (

    select
        customer_id,
        campaign_id,
        journey_id,
        step,
        'journey' as candidate_source,
        entered_at as qualified_at,
        due_at,
        is_exited,
        exited_at,
        not last_step_opened as previous_step_unopened,
        case when not last_step_opened then last_step_channel end as previous_step_channel
    from (
        select
            later_steps.*,
            row_number() over (
                partition by later_steps.customer_id, later_steps.journey_id
                order by later_steps.step
            ) as step_rank
        from later_steps
        where later_steps.condition_holds
    ) as holding
    where step_rank = 1

),

unioned as (

    select * from standalone
    union all
    select * from first_steps
    union all
    -- a run that starts again replaces the one before
    select next_steps.*
    from next_steps
    left join first_steps
        on
            next_steps.customer_id = first_steps.customer_id
            and next_steps.journey_id = first_steps.journey_id
    where first_steps.customer_id is null

),

final as (

    select
        {{ chorus_hash_bigint(dbt.concat([
            'unioned.customer_id', "'|'", 'unioned.campaign_id', "'|'",
            "coalesce(unioned.journey_id, '')", "'|'",
            "coalesce(cast(unioned.step as " ~ dbt.type_string() ~ "), '')"
        ])) }} as candidate_id,
        unioned.*
    from unioned
    left join steps
        on unioned.journey_id = steps.journey_id and unioned.step = steps.step
    where
        unioned.due_at <= {{ chorus_as_of() }}
        and {{ chorus_stale_at('unioned.due_at', 'steps.stale_after_hours') }}
        > {{ chorus_as_of() }}

)

select * from final
