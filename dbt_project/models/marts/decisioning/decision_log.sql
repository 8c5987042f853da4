-- One row per candidate message considered at as_of (int_decision_candidates) of every
-- run (dbt invocation) that decided the queue: the append-only ledger of what was
-- sent, held or suppressed and why, across all channels, for audits, fatigue and
-- attribution. send_queue is its latest run (a view): the decisions are made here and
-- written once. Never rewritten (materialized='ledger', macros/chorus_ledger.sql: rows
-- are inserted, --full-refresh keeps them), and a re-run for the same as_of appends its
-- own rows, whose idempotency keys equal the earlier run's.
-- A row holds the decision (send, hold, suppress), channel, send time and offer, and why.
-- Hard suppressions decide first (int_decision_scored.suppression_code). Then each
-- customer's budget is filled greedily by priority score (ties: campaign, candidate):
--   1. at most one message per topic (the best one);
--   2. a marketing message on a contact channel fits the channel's allowance of the
--      period (int_decision_channel_allowance: daily maximum, ramp after a pause; a
--      channel not there may carry its daily maximum, chorus_daily_allowance);
--   3. paced: on the channels with channel_policy.is_paced (email, SMS, push), at most
--      var chorus_daily_share_of_weekly_cap of the weekly cap in a period, the last 24
--      hours' messages included (chorus_daily_contact_allowance); the rest waits for a
--      later day (daily_limit);
--   4. and the customer's remaining weekly budget (customer_fatigue.remaining_budget:
--      weekly_cap less the marketing contacts of the trailing 7 days on all channels).
-- The limits nest (a channel's in the paced channels', theirs in the week's), so taking
-- the best that fits each in turn is the best set under all of them.
-- Transactional messages and paid audiences count toward no cap. Then the sends are
-- spaced: on a channel with channel_policy.min_gap_hours, a customer's marketing
-- messages go at least that many hours apart, and after the channel's last one; a send
-- that no time outside quiet hours, in the campaign window and the period fits is not
-- sent (channel_spacing), and its place goes to no other message. What does not fit is
-- held when it is still valid next period, else suppressed as stale. A greedy fill is
-- the knapsack's answer here: every message costs one unit of budget, so the highest
-- scores are the most value (docs/DECISIONS.md "The send queue fills greedily").
-- The offer: the code the customer was first offered in the campaign's promotion family
-- (contacts, any channel), else the code of the family's best candidate in this queue.
-- idempotency_key hashes customer, campaign, journey, step and the period (as_of's
-- period of chorus_decision_period_hours): a re-run in the period gives the same keys.
-- On PostgreSQL a btree index on logged_at finds the latest run (send_queue) without
-- reading every run; DuckDB's zone maps do it there (and an index would cost its writes),
-- and Spark has none.
{{ config(
    materialized='ledger',
    indexes=[{'columns': ['logged_at']}] if target.type == 'postgres' else [],
) }}

with

-- the scored rows and their campaign's attributes, joined from the seed here rather than
-- carried through the scoring's rows (5.8M at 1M customers)
scored as {{ chorus_not_materialized() }} (

    select
        scored.*,
        campaigns.objective,
        {{ chorus_campaign_purpose('campaigns.objective') }} as purpose,
        campaigns.topic,
        campaigns.promotion_family,
        campaigns.offer_code as campaign_offer_code,
        campaigns.ends_at as campaign_ends_at,
        steps.stale_after_hours
    from {{ ref('int_decision_scored') }} as scored
    inner join {{ ref('campaigns') }} as campaigns
        on scored.campaign_id = campaigns.campaign_id
    left join {{ ref('journey_steps') }} as steps
        on scored.journey_id = steps.journey_id and scored.step = steps.step

),

-- the channels below their daily allowance; the others may carry it whole
allowance as (

    select * from {{ ref('int_decision_channel_allowance') }}

),

-- each customer's marketing messages of the last 24 hours on the paced channels
sent_today as (

    {{ chorus_paced_contacts_last_24h() }}

),

-- the weekly budget, and the pacing's share of it left for this period (never below 0)
fatigue as (

    select
        fatigue.customer_id,
        fatigue.weekly_cap,
        fatigue.contacts_last_7d,
        fatigue.remaining_budget,
        coalesce(sent_today.contacts_last_24h, 0) as contacts_last_24h,
        {{ chorus_daily_contact_allowance('fatigue.weekly_cap') }} as daily_limit,
        greatest({{ chorus_daily_contact_allowance(
            'fatigue.weekly_cap', 'sent_today.contacts_last_24h'
        ) }}, 0) as daily_allowance
    from {{ ref('customer_fatigue') }} as fatigue
    left join sent_today
        on fatigue.customer_id = sent_today.customer_id

),

policy as (

    select
        channel,
        daily_max,
        min_gap_hours,
        is_paced,
        shown_on_visit,
        quiet_hours_start,
        quiet_hours_end
    from {{ ref('channel_policy') }}

),

-- The fill ranks narrow rows (the columns it orders and partitions by) and joins the
-- ranks back to the scored rows once: a window sorts every column it carries, and the
-- scored rows carry forty (docs/DECISIONS.md "The send queue at 1M").
ranking as (

    select
        candidate_id,
        customer_id,
        campaign_id,
        topic,
        channel,
        counts_toward_cap,
        priority_score
    from scored
    where suppression_code is null

),

-- 1. the best message per topic
topic_ranked as (

    select
        *,
        row_number() over (
            partition by customer_id, topic
            order by priority_score desc, campaign_id asc, candidate_id asc
        ) as topic_rank
    from ranking

),

-- 2. the topics' best messages that spend budget, in the channel's allowance
channel_ranked as (

    select
        topic_ranked.candidate_id,
        topic_ranked.customer_id,
        topic_ranked.campaign_id,
        topic_ranked.priority_score,
        policy.is_paced,
        row_number() over (
            partition by topic_ranked.customer_id, topic_ranked.channel
            order by
                topic_ranked.priority_score desc,
                topic_ranked.campaign_id asc,
                topic_ranked.candidate_id asc
        ) as channel_rank,
        coalesce(allowance.allowance, {{ chorus_daily_allowance('policy.daily_max') }})
            as channel_allowance
    from topic_ranked
    left join allowance
        on
            topic_ranked.customer_id = allowance.customer_id
            and topic_ranked.channel = allowance.channel
    left join policy
        on topic_ranked.channel = policy.channel
    where topic_ranked.topic_rank = 1 and topic_ranked.counts_toward_cap

),

-- 3. and 4. those within their channel's allowance, in priority order: how many of the
-- paced channels' (paced_rank) and the others' (unpaced_rank) come up to each. A paced
-- message past the day's allowance D is not sent, so the k-th that is, in the weekly
-- budget's order, is at unpaced_rank + least(paced_rank, D) (one sort for both passes).
budget_ranked as (

    select
        candidate_id,
        is_paced,
        sum(case when is_paced then 1 else 0 end) over (
            partition by customer_id
            order by priority_score desc, campaign_id asc, candidate_id asc
            rows between unbounded preceding and current row
        ) as paced_rank,
        sum(case when is_paced then 0 else 1 end) over (
            partition by customer_id
            order by priority_score desc, campaign_id asc, candidate_id asc
            rows between unbounded preceding and current row
        ) as unpaced_rank
    from channel_ranked
    where channel_rank <= channel_allowance

),

-- why a candidate the hard suppressions let through is not sent (null: it is)
ranks as (

    select
        topic_ranked.candidate_id,
        case
            when topic_ranked.topic_rank > 1 then 'topic_taken'
            when
                topic_ranked.counts_toward_cap
                and channel_ranked.channel_rank > channel_ranked.channel_allowance
                then 'channel_limit'
            -- past the day's share; over the week's budget when that alone would hold it
            when
                topic_ranked.counts_toward_cap
                and budget_ranked.is_paced
                and budget_ranked.paced_rank > coalesce(fatigue.daily_allowance, 0)
                then
                    case
                        when budget_ranked.paced_rank > coalesce(fatigue.remaining_budget, 0)
                            then 'over_budget'
                        else 'daily_limit'
                    end
            when
                topic_ranked.counts_toward_cap
                and budget_ranked.unpaced_rank
                + least(budget_ranked.paced_rank, coalesce(fatigue.daily_allowance, 0))
                > coalesce(fatigue.remaining_budget, 0)
                then 'over_budget'
        end as fill_code
    from topic_ranked
    left join channel_ranked
        on topic_ranked.candidate_id = channel_ranked.candidate_id
    left join budget_ranked
        on topic_ranked.candidate_id = budget_ranked.candidate_id
    left join fatigue
        on topic_ranked.customer_id = fatigue.customer_id

),

-- Spacing. The sends on a channel with a gap (channel_policy.min_gap_hours, in seconds
-- g), in the order of their planned times p (then priority): the k-th must go at least g
-- after the (k-1)-th, and the first g after the channel's last marketing message L
-- (int_decision_channel_allowance, from the minute after it; times in whole seconds,
-- which every engine counts alike). The earliest times that keep every gap are
--   t_k = k * g + max(L, max over j <= k of (p_j - j * g)),
-- which is p_k when nothing is close. A send moved is sent at t_k if that is outside
-- quiet hours, before the campaign's end and inside the period; else it is not sent
-- (channel_spacing). The sends after it are still spaced from its t_k, as if it went:
-- at worst later than needed, never closer than the gap to a message that goes.
spacing_planned as (

    select
        scored.candidate_id,
        scored.customer_id,
        scored.channel,
        scored.timezone,
        -- whole seconds: every engine turns them into the same epoch seconds
        {{ dbt.date_trunc('second', 'scored.scheduled_at') }} as scheduled_at,
        scored.campaign_ends_at,
        policy.quiet_hours_start,
        policy.quiet_hours_end,
        policy.min_gap_hours * 3600 as gap_seconds,
        {{ chorus_epoch_seconds(dbt.date_trunc('second', 'scored.scheduled_at')) }}
            as planned_epoch,
        {{ chorus_epoch_seconds(dbt.dateadd(
            'minute', 1, dbt.date_trunc('minute', 'allowance.last_sent_at')
        )) }} as last_epoch,
        row_number() over (
            partition by scored.customer_id, scored.channel
            order by
                scored.scheduled_at asc,
                scored.priority_score desc,
                scored.campaign_id asc,
                scored.candidate_id asc
        ) as send_number
    from scored
    inner join ranks
        on scored.candidate_id = ranks.candidate_id
    inner join policy
        on scored.channel = policy.channel
    left join allowance
        on scored.customer_id = allowance.customer_id and scored.channel = allowance.channel
    where
        scored.suppression_code is null
        and scored.counts_toward_cap
        and ranks.fill_code is null
        and policy.min_gap_hours is not null

),

spacing_bound as (

    select
        *,
        max(planned_epoch - send_number * gap_seconds) over (
            partition by customer_id, channel
            order by send_number
            rows between unbounded preceding and current row
        ) as planned_bound
    from spacing_planned

),

spacing_moved as (

    select
        *,
        {{ dbt.dateadd('second', 'shift_seconds', 'scheduled_at') }} as moved_at
    from (
        select
            *,
            send_number * gap_seconds
            + greatest(planned_bound, coalesce(last_epoch, planned_bound))
            - planned_epoch as shift_seconds
        from spacing_bound
    ) as shifted
    where shift_seconds > 0

),

-- the sends moved: their new time when it fits, else they are spaced out
spaced as (

    select
        candidate_id,
        case when fits then moved_at end as spaced_at,
        case when fits then moved_local end as spaced_local_send_time,
        not fits as is_spaced_out
    from (
        select
            candidate_id,
            moved_at,
            moved_local,
            moved_at < campaign_ends_at
            and moved_at < {{ chorus_period_end() }}
            and not {{ chorus_in_quiet_hours(
                'cast(extract(hour from moved_local) as ' ~ dbt.type_int() ~ ')',
                'quiet_hours_start', 'quiet_hours_end'
            ) }} as fits
        from (
            select
                *,
                {{ chorus_utc_to_local('moved_at', 'timezone') }} as moved_local
            from spacing_moved
        ) as located
    ) as verdicts

),

coded as (

    select
        scored.*,
        coalesce(
            scored.suppression_code,
            ranks.fill_code,
            case when spaced.is_spaced_out then 'channel_spacing' end
        ) as reason_code,
        spaced.spaced_at,
        spaced.spaced_local_send_time,
        policy.min_gap_hours,
        coalesce(policy.shown_on_visit, false) as shown_on_visit,
        case
            when scored.counts_toward_cap
                then coalesce(allowance.allowance, {{ chorus_daily_allowance('policy.daily_max') }})
        end as channel_allowance,
        case
            when scored.counts_toward_cap and policy.is_paced
                -- a BIGINT like the other counts (a sum made it a HUGEINT on DuckDB)
                then cast(coalesce(fatigue.daily_allowance, 0) as {{ dbt.type_bigint() }})
        end as daily_allowance,
        coalesce(fatigue.daily_limit, 0) as daily_limit,
        coalesce(fatigue.contacts_last_24h, 0) as contacts_last_24h,
        coalesce(fatigue.weekly_cap, 0) as weekly_cap,
        coalesce(fatigue.contacts_last_7d, 0) as contacts_last_7d,
        coalesce(fatigue.remaining_budget, 0) as remaining_budget
    from scored
    left join ranks
        on scored.candidate_id = ranks.candidate_id
    left join spaced
        on scored.candidate_id = spaced.candidate_id
    left join allowance
        on scored.customer_id = allowance.customer_id and scored.channel = allowance.channel
    left join policy
        on scored.channel = policy.channel
    left join fatigue
        on scored.customer_id = fatigue.customer_id

),

decided as (

    select
        *,
        case
            when reason_code is null then 'send'
            when suppression_code is not null then 'suppress'
            -- still valid next period: the campaign runs on, and the step is not stale
            when
                campaign_ends_at > {{ chorus_period_end() }}
                and {{ chorus_stale_at('due_at', 'stale_after_hours') }} > {{ chorus_period_end() }}
                then 'hold'
            else 'suppress'
        end as decision
    from coded

),

offered_before as (

    select * from {{ ref('int_decision_first_offers') }}

),

-- the code of each promotion family's best candidate in this queue (sends first), for
-- a customer offered none in the family before
queue_offers as (

    select
        customer_id,
        promotion_family,
        campaign_offer_code as offer_code
    from (
        select
            scored.customer_id,
            scored.promotion_family,
            scored.campaign_offer_code,
            row_number() over (
                partition by scored.customer_id, scored.promotion_family
                order by
                    case
                        when
                            ranks.candidate_id is not null
                            and ranks.fill_code is null
                            and spaced.candidate_id is null
                            then 0
                        else 1
                    end,
                    scored.priority_score desc,
                    scored.campaign_id asc,
                    scored.candidate_id asc
            ) as family_rank
        from scored
        left join ranks
            on scored.candidate_id = ranks.candidate_id
        left join spaced
            on scored.candidate_id = spaced.candidate_id and spaced.is_spaced_out
        where scored.campaign_offer_code is not null and scored.promotion_family is not null
    ) as family_ranked
    where family_rank = 1

),

offers as (

    select
        decided.*,
        case
            when decided.campaign_offer_code is null then null
            when decided.promotion_family is null then decided.campaign_offer_code
            else coalesce(offered_before.offer_code, queue_offers.offer_code)
        end as offer_code,
        offered_before.offer_code is not null as is_offer_reused
    from decided
    left join offered_before
        on
            decided.customer_id = offered_before.customer_id
            and decided.promotion_family = offered_before.promotion_family
    left join queue_offers
        on
            decided.customer_id = queue_offers.customer_id
            and decided.promotion_family = queue_offers.promotion_family

),

-- a send moved by the spacing goes at its new time
timed as (

    select
        *,
        coalesce(spaced_at, scheduled_at) as send_at,
        coalesce(spaced_local_send_time, local_send_time) as local_send_at
    from offers

),

explained as (

    select
        *,
        '{{ chorus_decision_period_id() }}' as period_id,
        -- as a decimal: PostgreSQL rounds a double half to even, the others half away
        cast(round(cast(priority_score * 100 as decimal(18, 6))) as {{ dbt.type_int() }})
            as priority_points,
        {{ dbt.concat([
            "lpad(cast(cast(extract(hour from local_send_at) as " ~ dbt.type_int() ~ ") as " ~ dbt.type_string() ~ "), 2, '0')",
            "':'",
            "lpad(cast(cast(extract(minute from local_send_at) as " ~ dbt.type_int() ~ ") as " ~ dbt.type_string() ~ "), 2, '0')",
        ]) }} as local_clock
    from timed

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            "cast(candidate_id as " ~ dbt.type_string() ~ ")", "'|" ~ chorus_as_of_text() ~ "'"
        ])) }} as queue_id,
        customer_id,
        campaign_id,
        journey_id,
        step,
        decision,
        reason_code,
        case reason_code
            when 'no_consented_channel' then {{ dbt.concat([
                "'no consented, reachable channel allows this campaign ('",
                "coalesce(blocked_channels, 'no channel allowed')", "')'",
            ]) }}
            when 'purchased_product' then {{ dbt.concat(["'suppressed: '", 'suppression_reason']) }}
            when
                'purchased_category'
                then {{ dbt.concat(["'suppressed: '", 'suppression_reason']) }}
            when 'cooling_off' then {{ dbt.concat(["'cooling off: '", 'suppression_reason']) }}
            when 'excluded_objective' then {{ dbt.concat(["'excluded: '", 'suppression_reason']) }}
            when 'suppressed_topic' then {{ dbt.concat(["'suppressed: '", 'suppression_reason']) }}
            when 'topic_recently_contacted' then {{ dbt.concat([
                "'topic '", 'topic', "' already contacted on some channel within "
                ~ var('chorus_topic_window_days') ~ " days'",
            ]) }}
            when 'journey_exited' then {{ dbt.concat([
                "'left journey '", 'journey_id', "': its exit event happened after the journey began'",
            ]) }}
            when 'campaign_window_closed'
                then 'outside the campaign window: not running, or ending before any send time'
            when 'holdout' then {{ dbt.concat([
                "'in the global holdout group (no marketing messages; '",
                "'measures their incremental lift)'",
            ]) }}
            when 'topic_taken' then {{ dbt.concat([
                "'a higher-priority message on topic '", 'topic', "' goes this period'",
            ]) }}
            when 'channel_limit' then {{ dbt.concat([
                "'the '", 'channel', "' allowance of the period is used (daily maximum or ramp after a pause)'",
            ]) }}
            when 'channel_spacing' then {{ dbt.concat([
                "'another '", 'channel', "' goes within '",
                "cast(min_gap_hours as " ~ dbt.type_string() ~ ")",
                "' h of it, and no later time this period is outside quiet hours and in the'",
                "' campaign window'",
            ]) }}
            when 'daily_limit' then {{ dbt.concat([
                "'the daily limit of marketing messages on the paced channels is used: '",
                "cast(daily_limit as " ~ dbt.type_string() ~ ")",
                "' a day ("
                ~ var('chorus_daily_share_of_weekly_cap') ~ " of the weekly cap of '",
                "cast(weekly_cap as " ~ dbt.type_string() ~ ")", "'), '",
                "cast(contacts_last_24h as " ~ dbt.type_string() ~ ")",
                "' in the last 24 h, higher-priority messages the rest; later days have the'",
                "' rest of the weekly budget'",
            ]) }}
            when 'over_budget' then {{ dbt.concat([
                "'over the weekly budget: '",
                "cast(remaining_budget as " ~ dbt.type_string() ~ ")",
                "' of '", "cast(weekly_cap as " ~ dbt.type_string() ~ ")",
                "' left, taken by higher-priority messages'",
            ]) }}
            else {{ dbt.concat([
                "'send by '", 'channel', "' at '", 'local_clock', "' '", 'timezone',
                "case when spaced_at is not null then "
                    ~ dbt.concat([
                        "' (spaced '", "cast(min_gap_hours as " ~ dbt.type_string() ~ ")",
                        "' h from the previous '", 'channel', "')'",
                    ])
                    ~ " when shown_on_visit then ' (shown on their next visit)'"
                    ~ " when at_peak_hour then ' (peak hour)'"
                    ~ " when purpose = 'transactional' then ' (as soon as allowed)' else '' end",
                "', priority '", "cast(priority_points as " ~ dbt.type_string() ~ ")",
                "case when counts_toward_cap then "
                    ~ dbt.concat([
                        "', budget '", "cast(remaining_budget as " ~ dbt.type_string() ~ ")",
                        "' of '", "cast(weekly_cap as " ~ dbt.type_string() ~ ")", "' left'",
                    ])
                    ~ " else ', counts toward no cap' end",
            ]) }}
        end
        || case
            when
                decision = 'suppress' and suppression_code is null
                then ' (stale by next period)'
            else ''
        end
            as reason,
        channel,
        case
            when decision = 'suppress' and suppression_code is not null then null else send_at
        end
            as scheduled_at,
        case
            when decision = 'suppress' and suppression_code is not null then null else
                local_send_at
        end
            as local_send_time,
        timezone,
        priority_score,
        value_score,
        urgency_score,
        relevance_score,
        channel_fit_score,
        timing_score,
        expected_engagement,
        offer_code,
        is_offer_reused,
        topic,
        objective,
        purpose,
        promotion_family,
        counts_toward_cap,
        remaining_budget,
        weekly_cap,
        contacts_last_7d,
        channel_allowance,
        daily_allowance,
        candidate_source,
        due_at,
        case when journey_id is not null then qualified_at end as journey_started_at,
        {{ dbt.hash(dbt.concat([
            'customer_id', "'|'", 'campaign_id', "'|'", "coalesce(journey_id, '')", "'|'",
            "coalesce(cast(step as " ~ dbt.type_string() ~ "), '')", "'|'", 'period_id',
        ])) }} as idempotency_key,
        {{ chorus_as_of() }} as as_of,
        '{{ invocation_id }}' as run_id,
        cast('{{ chorus_format_timestamp(run_started_at) }}' as {{ dbt.type_timestamp() }})
            as logged_at
    from explained

)

select * from final
