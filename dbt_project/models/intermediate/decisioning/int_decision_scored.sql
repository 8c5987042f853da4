-- One row per candidate (int_decision_candidates), everything the send queue decides
-- on: the channel (the usable channel with the best expected engagement; ties go to
-- the cheaper channel, then by name), the first hard suppression that applies, in the
-- order of docs/rules.md "The send queue" (reason_code), the priority score and its
-- components and the send time. The table keeps what the send queue reads and no
-- campaign attribute (the queue joins the seed; the inputs of the suppression code stay
-- in their own models): each column of its 5.8M rows at 1M customers costs time to
-- write.
-- Send time: the customer's peak hour on the channel (customer_engagement, carried by
-- int_decision_channels; else var chorus_default_send_hour), local, in the customer's
-- time zone, at its next occurrence from as_of; an hour inside the channel's quiet
-- hours moves to their end;
-- a slot after the campaign's end falls back to the earliest time outside quiet hours,
-- and the candidate is stale when that is after the end too. A transactional message
-- takes the earliest time outside quiet hours. A channel without quiet
-- hours (a chat prompt shown on the next visit, a paid audience) goes at as_of.

with

candidates as {{ chorus_not_materialized() }} (

    select * from {{ ref('int_decision_candidates') }}

),

campaigns as (

    select * from {{ ref('campaigns') }}

),

channels as {{ chorus_not_materialized() }} (

    select * from {{ ref('int_decision_channels') }}

),

chosen as (

    select *
    from (
        select
            channels.*,
            row_number() over (
                partition by channels.candidate_id
                order by
                    channels.expected_engagement desc,
                    channels.cost_per_message asc,
                    channels.channel asc
            ) as channel_rank
        from channels
        where channels.is_usable
    ) as ranked
    where channel_rank = 1

),

-- why no channel is usable, per channel, when none is: the channels side by side in
-- their names' order (chorus_channels), not an ordered string_agg, which sorts within
-- every candidate (at 1M customers 2.6M candidates: 1.2 s against 2.8 s)
blocked as (

    select
        candidate_id,
        concat_ws(
            '; ',
            {% for channel in chorus_channels('consent') | sort -%}
                max(case when channel = '{{ channel }}' then {{
                    dbt.concat(["'" ~ channel ~ ": '", 'block_reason'])
                }} end){{ ',' if not loop.last }}
            {% endfor -%}
        ) as blocked_channels
    from channels
    where not is_usable
    group by 1

),

customers as (

    select
        customer_id,
        coalesce(timezone, '{{ var('chorus_default_timezone') }}') as timezone
    from {{ ref('customers') }}

),

-- as_of on each time zone's clock, and the next two days' local hours in UTC: the
-- time-zone conversions run once per zone and hour, not once per candidate
zone_clocks as (

    select
        timezone,
        local_as_of,
        {{ dbt.date_trunc('day', 'local_as_of') }} as local_day,
        cast(extract(hour from local_as_of) as {{ dbt.type_int() }}) as local_as_of_hour
    from (
        select
            timezone,
            {{ chorus_utc_to_local(chorus_as_of(), 'timezone') }} as local_as_of
        from (select distinct timezone from customers) as zones
    ) as clocks

),

zone_hours as (

    {% for hour in range(24) -%}
        select {{ hour }} as local_hour
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

zone_slots as (

    select
        timezone,
        day_offset,
        local_hour,
        local_slot,
        {{ chorus_local_to_utc('local_slot', 'timezone') }} as slot_at
    from (
        select
            zone_clocks.timezone,
            day_offsets.day_offset,
            zone_hours.local_hour,
            {{ dbt.dateadd(
                'hour', 'zone_hours.local_hour',
                dbt.dateadd('day', 'day_offsets.day_offset', 'zone_clocks.local_day')
            ) }} as local_slot
        from zone_clocks
        cross join (
            select 0 as day_offset
            union all
            select 1 as day_offset
        ) as day_offsets
        cross join zone_hours
    ) as slots

),

-- suppressions of the campaign itself (not of a channel), in the rules' order; the
-- reason names the rule, what it covers and until when ('... (rule purchase_category on
-- category electronics, until 2026-11-01)')
campaign_suppressions as (

    select
        candidates.candidate_id,
        suppressions.scope,
        {{ dbt.concat([
            'suppressions.reason', "' (rule '", 'suppressions.rule_id',
            "case when suppressions.scope = 'all' then '' else "
                ~ dbt.concat(["' on '", 'suppressions.scope', "' '", 'suppressions.scope_value'])
                ~ " end",
            "coalesce(" ~ dbt.concat([
                "', until '",
                "cast(cast(suppressions.ends_at as date) as " ~ dbt.type_string() ~ ")",
            ]) ~ ", '')",
            "')'",
        ]) }} as reason,
        row_number() over (
            partition by candidates.candidate_id
            order by
                case suppressions.scope
                    when 'product' then 1 when 'category' then 2 when 'all' then 3
                    when 'objective' then 4 else 5
                end,
                suppressions.starts_at desc,
                suppressions.suppression_id asc
        ) as suppression_rank
    from candidates
    inner join campaigns
        on candidates.campaign_id = campaigns.campaign_id
    inner join {{ ref('suppressions') }} as suppressions
        on
            candidates.customer_id = suppressions.customer_id
            and {{ chorus_suppression_applies(
                'suppressions', 'campaigns.objective', campaign='campaigns'
            ) }}

),

-- the topic contacted within the window, on any channel, by a message that is not an
-- earlier step of the candidate's own journey run
topic_contacts as (

    select
        candidates.candidate_id,
        max(contacts.sent_at) as topic_contacted_at
    from candidates
    inner join campaigns
        on candidates.campaign_id = campaigns.campaign_id
    inner join {{ ref('contacts') }} as contacts
        on candidates.customer_id = contacts.customer_id and campaigns.topic = contacts.topic
    left join {{ ref('journey_steps') }} as own_steps
        on
            candidates.journey_id = own_steps.journey_id
            and contacts.campaign_id = own_steps.campaign_id
            and candidates.qualified_at <= contacts.sent_at
    where
        contacts.sent_at
        > {{ dbt.dateadd('day', -var('chorus_topic_window_days'), chorus_as_of()) }}
        and contacts.sent_at <= {{ chorus_as_of() }}
        and own_steps.campaign_id is null
        and {{ chorus_topic_window_applies('campaigns.objective') }}
    group by 1

),

behaviour as (

    select * from {{ ref('int_decision_behaviour') }}

),

category_views as (

    select
        customer_id,
        category,
        sum(affinity_event_count) as view_count
    from behaviour
    where category is not null and affinity_event_count > 0
    group by 1, 2

),

category_affinity as (

    select
        customer_id,
        category,
        cast(view_count as {{ chorus_type_double() }})
        / sum(view_count) over (partition by customer_id) as affinity
    from category_views

),

viewed_products as (

    select distinct
        customer_id,
        product_id
    from behaviour
    where product_id is not null

),

active_value as (

    select max(business_value) as max_business_value
    from campaigns
    where starts_at <= {{ chorus_as_of() }} and ends_at > {{ chorus_as_of() }}

),

policy as (

    select * from {{ ref('channel_policy') }}

),

joined as (

    select
        candidates.*,
        campaigns.objective,
        {{ chorus_campaign_purpose('campaigns.objective') }} as purpose,
        campaigns.topic,
        campaigns.promotion_family,
        campaigns.offer_code as campaign_offer_code,
        campaigns.audience,
        campaigns.urgency,
        campaigns.business_value,
        campaigns.starts_at as campaign_starts_at,
        campaigns.ends_at as campaign_ends_at,
        chosen.channel,
        chosen.is_contact,
        chosen.expected_engagement,
        blocked.blocked_channels,
        campaign_suppressions.scope as suppression_scope,
        campaign_suppressions.reason as suppression_reason,
        topic_contacts.topic_contacted_at,
        customers.timezone,
        chosen.peak_hour_local,
        policy.quiet_hours_start,
        policy.quiet_hours_end,
        zone_clocks.local_as_of,
        zone_clocks.local_day,
        zone_clocks.local_as_of_hour,
        coalesce(category_affinity.affinity, 0) as category_affinity,
        viewed_products.product_id is not null as viewed_product,
        active_value.max_business_value
    from candidates
    inner join campaigns
        on candidates.campaign_id = campaigns.campaign_id
    inner join customers
        on candidates.customer_id = customers.customer_id
    inner join zone_clocks
        on customers.timezone = zone_clocks.timezone
    cross join active_value
    left join chosen
        on candidates.candidate_id = chosen.candidate_id
    left join policy
        on chosen.channel = policy.channel
    left join blocked
        on candidates.candidate_id = blocked.candidate_id
    left join campaign_suppressions
        on
            candidates.candidate_id = campaign_suppressions.candidate_id
            and campaign_suppressions.suppression_rank = 1
    left join topic_contacts
        on candidates.candidate_id = topic_contacts.candidate_id
    left join category_affinity
        on
            candidates.customer_id = category_affinity.customer_id
            and campaigns.category = category_affinity.category
    left join viewed_products
        on
            candidates.customer_id = viewed_products.customer_id
            and campaigns.product_id = viewed_products.product_id

),

-- the local send hour: the peak hour, out of quiet hours
hours as (

    select
        *,
        coalesce(peak_hour_local, {{ var('chorus_default_send_hour') }}) as wanted_hour,
        -- elapsed hours from epoch seconds: dbt's datediff counts hour boundaries on
        -- DuckDB and PostgreSQL but rounds elapsed time up on Spark
        cast(
            {{ chorus_epoch_seconds('campaign_ends_at') }}
            - {{ chorus_epoch_seconds(chorus_as_of()) }}
            as {{ chorus_type_double() }}
        ) / 3600 as hours_to_end,
        cast(
            {{ chorus_epoch_seconds(chorus_as_of()) }}
            - {{ chorus_epoch_seconds('qualified_at') }}
            as {{ chorus_type_double() }}
        ) / 3600 as hours_since_qualified,
        {{ chorus_in_quiet_hours('local_as_of_hour', 'quiet_hours_start', 'quiet_hours_end') }}
            as local_as_of_quiet
    from joined

),

slots as (

    select
        *,
        case
            when {{ chorus_in_quiet_hours('wanted_hour', 'quiet_hours_start', 'quiet_hours_end') }}
                then quiet_hours_end
            else wanted_hour
        end as send_hour
    from hours

),

-- the peak hour's next occurrence (today or tomorrow, local), and the earliest time
-- outside quiet hours from as_of: as_of itself, or the end of the quiet hours
offsets as (

    select
        *,
        case
            when {{ dbt.dateadd('hour', 'send_hour', 'local_day') }} >= local_as_of then 0
            else 1
        end as peak_offset,
        case
            when quiet_hours_start is null or not local_as_of_quiet then null
            when local_as_of_hour < quiet_hours_end then 0
            else 1
        end as earliest_offset
    from slots

),

utc_slots as (

    select
        offsets.*,
        case
            when offsets.quiet_hours_start is null then offsets.local_as_of
            else peak.local_slot
        end as peak_local,
        case when offsets.quiet_hours_start is null then {{ chorus_as_of() }} else peak.slot_at end
            as peak_at,
        coalesce(earliest.local_slot, offsets.local_as_of) as earliest_local,
        coalesce(earliest.slot_at, {{ chorus_as_of() }}) as earliest_at
    from offsets
    left join zone_slots as peak
        on
            offsets.timezone = peak.timezone
            and offsets.peak_offset = peak.day_offset
            and offsets.send_hour = peak.local_hour
    left join zone_slots as earliest
        on
            offsets.timezone = earliest.timezone
            and offsets.earliest_offset = earliest.day_offset
            and offsets.quiet_hours_end = earliest.local_hour

),

-- the peak slot when it falls before the campaign's end and within the period (a
-- clock hour can recur after 25 hours across a DST change), else the earliest slot; a
-- transactional message (an order confirmation, a shipping update) always takes the
-- earliest slot: the customer expects it now, and the peak hour is a marketing choice
fitting as (

    select
        *,
        purpose = 'marketing'
        and peak_at < campaign_ends_at
        and peak_at < {{ chorus_period_end() }}
            as peak_fits
    from utc_slots

),

scheduled as (

    select
        *,
        case
            when peak_fits then peak_local
            when earliest_at < campaign_ends_at then earliest_local
        end as local_send_time,
        case
            when peak_fits then peak_at
            when earliest_at < campaign_ends_at then earliest_at
        end as scheduled_at,
        peak_fits and peak_hour_local is not null
        and not {{ chorus_in_quiet_hours(
            'peak_hour_local', 'quiet_hours_start', 'quiet_hours_end'
        ) }}
            as at_peak_hour
    from fitting

),

scored as (

    select
        *,
        case
            when max_business_value > 0
                then
                    cast(business_value as {{ chorus_type_double() }})
                    / cast(max_business_value as {{ chorus_type_double() }})
            else 0
        end as value_score,
        greatest(
            case urgency
                {% for level, score in var('chorus_urgency_scores').items() -%}
                    when '{{ level }}' then {{ score }}
                {% endfor -%}
                else 0
            end,
            case
                when hours_to_end < {{ var('chorus_expiry_hours') }}
                    then 1 - hours_to_end / {{ var('chorus_expiry_hours') }}
                else 0
            end
        ) as urgency_score,
        greatest(
            case
                when
                    audience in (
                        'cart_abandoners', 'product_viewers', 'new_signups', 'recent_purchasers'
                    )
                    then 24 / (24 + greatest(hours_since_qualified, 0))
                else 0
            end,
            category_affinity,
            case when viewed_product then 1 else 0 end
        ) as relevance_score,
        coalesce(expected_engagement, 0) as channel_fit_score,
        case when at_peak_hour then 1.0 else 0.5 end as timing_score
    from scheduled

),

final as (

    select
        candidate_id,
        customer_id,
        campaign_id,
        journey_id,
        step,
        candidate_source,
        qualified_at,
        due_at,
        channel,
        coalesce(is_contact, false) and purpose = 'marketing' as counts_toward_cap,
        expected_engagement,
        blocked_channels,
        suppression_reason,
        timezone,
        scheduled_at,
        local_send_time,
        at_peak_hour,
        case
            when channel is null then 'no_consented_channel'
            when suppression_scope = 'product' then 'purchased_product'
            when suppression_scope = 'category' then 'purchased_category'
            when suppression_scope = 'all' then 'cooling_off'
            when suppression_scope = 'objective' then 'excluded_objective'
            when suppression_scope = 'topic' then 'suppressed_topic'
            when topic_contacted_at is not null then 'topic_recently_contacted'
            when is_exited then 'journey_exited'
            when
                campaign_starts_at > {{ chorus_as_of() }}
                or campaign_ends_at <= {{ chorus_as_of() }}
                or scheduled_at is null
                then 'campaign_window_closed'
            -- the holdout measures marketing's lift: service messages still go
            when purpose = 'marketing' and {{ chorus_is_holdout('customer_id') }} then 'holdout'
        end as suppression_code,
        value_score,
        urgency_score,
        relevance_score,
        channel_fit_score,
        timing_score,
        -- rounded as a decimal: PostgreSQL has no round(double, digits)
        cast(
            round(
                cast(
                    {{ var('chorus_priority_weight_value') }} * value_score
                    + {{ var('chorus_priority_weight_urgency') }} * urgency_score
                    + {{ var('chorus_priority_weight_relevance') }} * relevance_score
                    + {{ var('chorus_priority_weight_channel_fit') }} * channel_fit_score
                    + {{ var('chorus_priority_weight_timing') }} * timing_score
                    + case
                        when candidate_source = 'journey' and previous_step_unopened
                            then {{ var('chorus_journey_unopened_boost') }}
                        else 0
                    end
                    as decimal(18, 9)
                ),
                6
            )
            as {{ chorus_type_double() }}
        ) as priority_score
    from scored

)

select * from final
