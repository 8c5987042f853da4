-- One row per (customer, contact channel of channel_policy): the customer's raw counts
-- of marketing messages and their open, click, reply and engagement rates smoothed by
-- empirical Bayes: (successes + alpha) / (delivered + alpha + beta), with the beta
-- prior of the customer's lifecycle stage on that channel, or the population's when the
-- stage has too few customers with history (int_engagement_priors). With no history a
-- customer gets the prior's mean: their segment's rate. Peak hour: the local hour
-- (customer's time zone, else var chorus_default_timezone) at which the customer
-- opened, clicked or replied most often on the channel, the earlier hour on a tie.

{% set double = chorus_type_double() %}

with

profiles as (

    select
        customer_id,
        lifecycle_stage,
        coalesce(timezone, '{{ var("chorus_default_timezone") }}') as timezone
    from {{ ref('int_customer_profiles') }}

),

channels as (

    select
        channel,
        tracks_opens
    from {{ ref('channel_policy') }}
    where is_contact

),

grid as (

    select
        profiles.customer_id,
        profiles.lifecycle_stage,
        profiles.timezone,
        channels.channel,
        channels.tracks_opens
    from profiles
    cross join channels

),

counts as (

    select * from {{ ref('int_engagement_counts') }}

),

priors as (

    select * from {{ ref('int_engagement_priors') }}

),

metrics as (

    select 'open' as metric
    union all
    select 'click' as metric
    union all
    select 'reply' as metric
    union all
    select 'engagement' as metric

),

smoothed as (

    select
        grid.customer_id,
        grid.channel,
        metrics.metric,
        coalesce(counts.trials, 0) as trials,
        coalesce(counts.successes, 0) as successes,
        case
            when segment_prior.customers >= {{ var('chorus_engagement_prior_min_customers') }}
                then segment_prior.alpha
            else population_prior.alpha
        end as alpha,
        case
            when segment_prior.customers >= {{ var('chorus_engagement_prior_min_customers') }}
                then segment_prior.beta
            else population_prior.beta
        end as beta
    from grid
    inner join metrics
        on metrics.metric <> 'open' or grid.tracks_opens
    left join counts
        on
            grid.customer_id = counts.customer_id
            and grid.channel = counts.channel
            and metrics.metric = counts.metric
    left join priors as segment_prior
        on
            grid.lifecycle_stage = segment_prior.segment
            and grid.channel = segment_prior.channel
            and metrics.metric = segment_prior.metric
    left join priors as population_prior
        on
            population_prior.segment = '(all)'
            and grid.channel = population_prior.channel
            and metrics.metric = population_prior.metric

),

rates as (

    select
        customer_id,
        channel,
        max(case when metric = 'click' then trials end) as delivered,
        max(case when metric = 'open' then successes end) as opened,
        max(case when metric = 'click' then successes end) as clicked,
        max(case when metric = 'reply' then successes end) as replied,
        max(case when metric = 'open' then (successes + alpha) / (trials + alpha + beta) end)
            as open_rate,
        max(case when metric = 'click' then (successes + alpha) / (trials + alpha + beta) end)
            as click_rate,
        max(case when metric = 'reply' then (successes + alpha) / (trials + alpha + beta) end)
            as reply_rate,
        max(
            case when metric = 'engagement' then (successes + alpha) / (trials + alpha + beta) end
        ) as engagement_rate,
        max(case when metric = 'engagement' then successes end) as engaged
    from smoothed
    group by 1, 2

),

sends as (

    select
        customer_id,
        channel,
        cast(count(*) as bigint) as sent,
        -- greatest() skips nulls on DuckDB, PostgreSQL and Spark
        max(greatest(opened_at, clicked_at, replied_at)) as last_engaged_at
    from {{ ref('contacts') }}
    where customer_id is not null and purpose = 'marketing'
    group by 1, 2

),

engagement_times as (

    select
        contacts.customer_id,
        contacts.channel,
        contacts.opened_at as engaged_at
    from {{ ref('contacts') }} as contacts
    where contacts.customer_id is not null and contacts.opened_at is not null
    union all
    select
        contacts.customer_id,
        contacts.channel,
        contacts.clicked_at as engaged_at
    from {{ ref('contacts') }} as contacts
    where contacts.customer_id is not null and contacts.clicked_at is not null
    union all
    select
        contacts.customer_id,
        contacts.channel,
        contacts.replied_at as engaged_at
    from {{ ref('contacts') }} as contacts
    where contacts.customer_id is not null and contacts.replied_at is not null

),

hours as (

    select
        engagement_times.customer_id,
        engagement_times.channel,
        {{ chorus_local_hour('engagement_times.engaged_at', 'profiles.timezone') }} as local_hour,
        count(*) as engagements
    from engagement_times
    inner join profiles
        on engagement_times.customer_id = profiles.customer_id
    group by 1, 2, 3

),

peak as (

    select
        customer_id,
        channel,
        local_hour as peak_hour_local,
        row_number() over (
            partition by customer_id, channel
            order by engagements desc, local_hour asc
        ) as hour_rank
    from hours

),

final as (

    select
        grid.customer_id,
        grid.channel,
        grid.lifecycle_stage as segment,
        coalesce(sends.sent, cast(0 as bigint)) as sent,
        cast(rates.delivered as bigint) as delivered,
        cast(rates.opened as bigint) as opened,
        cast(rates.clicked as bigint) as clicked,
        cast(rates.replied as bigint) as replied,
        cast(rates.engaged as bigint) as engaged,
        cast(rates.open_rate as {{ double }}) as open_rate,
        cast(rates.click_rate as {{ double }}) as click_rate,
        cast(rates.reply_rate as {{ double }}) as reply_rate,
        cast(rates.engagement_rate as {{ double }}) as engagement_rate,
        peak.peak_hour_local,
        grid.timezone as peak_hour_timezone,
        sends.last_engaged_at
    from grid
    left join rates
        on grid.customer_id = rates.customer_id and grid.channel = rates.channel
    left join sends
        on grid.customer_id = sends.customer_id and grid.channel = sends.channel
    left join peak
        on
            grid.customer_id = peak.customer_id
            and grid.channel = peak.channel
            and peak.hour_rank = 1

)

select * from final
