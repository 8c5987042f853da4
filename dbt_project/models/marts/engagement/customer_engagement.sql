-- One row per (customer, contact channel of channel_policy): the customer's raw counts
-- of marketing messages and their open, click, reply and engagement rates smoothed by
-- empirical Bayes: (successes + alpha) / (delivered + alpha + beta), with the beta
-- prior of the customer's lifecycle stage on that channel, or the population's when the
-- stage has too few customers with history (int_engagement_priors). With no history a
-- customer gets the prior's mean: their segment's rate. Peak hour: the local hour
-- (customer's time zone, else var chorus_default_timezone) at which the customer
-- opened, clicked or replied most often on the channel, the earlier hour on a tie.
-- Per customer (int_engagement_batches): an incremental batch rewrites the customers in
-- its scope, with the priors of the batch's fit (int_engagement_priors, refitted once
-- per fit period).
{{ config(
    materialized=chorus_scoped_materialization_name(),
    chorus_customer_scoped=true,
    chorus_scope_reasons=['identifiers', 'structure', 'contacts', 'crm', 'orders', 'lifecycle'],
) }}

{% set double = chorus_type_double() %}

with

profiles as (

    select
        customer_id,
        lifecycle_stage,
        coalesce(timezone, '{{ var("chorus_default_timezone") }}') as timezone
    from {{ ref('int_customer_profiles') }}
    where {{ chorus_in_scope('customer_id') }}

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
    where {{ chorus_in_scope('customer_id') }}

),

priors_of_fit as (

    select * from {{ ref('int_engagement_priors') }}
    where {{ chorus_current_fit() }}

),

segments as (

    select distinct lifecycle_stage as segment
    from profiles

),

-- the prior of each metric for each (segment, channel): the segment's own when it has
-- enough customers with history, else the population's
chosen_priors as (

    select
        segments.segment,
        population.channel,
        population.metric,
        case
            when own.customers >= {{ var('chorus_engagement_prior_min_customers') }}
                then own.alpha
            else population.alpha
        end as alpha,
        case
            when own.customers >= {{ var('chorus_engagement_prior_min_customers') }}
                then own.beta
            else population.beta
        end as beta
    from segments
    cross join priors_of_fit as population
    left join priors_of_fit as own
        on
            segments.segment = own.segment
            and population.channel = own.channel
            and population.metric = own.metric
    where population.segment = '(all)'

),

priors as (

    -- noqa: disable=LT01,LT02
    select
        segment,
        channel,
    {% for metric in ['open', 'click', 'reply', 'engagement'] -%}
        max(case when metric = '{{ metric }}' then alpha end) as {{ metric }}_alpha,
        max(case when metric = '{{ metric }}' then beta end)
            as {{ metric }}_beta{{ "," if not loop.last }}
    {% endfor %}
    from chosen_priors
    -- noqa: enable=LT01,LT02
    group by 1, 2

),

rates as (

    select
        grid.customer_id,
        grid.channel,
        grid.lifecycle_stage,
        grid.timezone,
        counts.last_engaged_at,
        priors.open_alpha,
        priors.open_beta,
        priors.click_alpha,
        priors.click_beta,
        priors.reply_alpha,
        priors.reply_beta,
        priors.engagement_alpha,
        priors.engagement_beta,
        coalesce(counts.sent, cast(0 as bigint)) as sent,
        coalesce(counts.delivered, cast(0 as bigint)) as delivered,
        case when grid.tracks_opens then coalesce(counts.opened, cast(0 as bigint)) end
            as opened,
        coalesce(counts.clicked, cast(0 as bigint)) as clicked,
        coalesce(counts.replied, cast(0 as bigint)) as replied,
        coalesce(counts.engaged, cast(0 as bigint)) as engaged
    from grid
    left join counts
        on grid.customer_id = counts.customer_id and grid.channel = counts.channel
    left join priors
        on grid.lifecycle_stage = priors.segment and grid.channel = priors.channel

),

scoped_contacts as (

    select
        customer_id,
        channel,
        opened_at,
        clicked_at,
        replied_at
    from {{ ref('contacts') }}
    where customer_id is not null and {{ chorus_in_scope('customer_id') }}

),

engagement_times as (

    select
        contacts.customer_id,
        contacts.channel,
        contacts.opened_at as engaged_at
    from scoped_contacts as contacts
    where contacts.opened_at is not null
    union all
    select
        contacts.customer_id,
        contacts.channel,
        contacts.clicked_at as engaged_at
    from scoped_contacts as contacts
    where contacts.clicked_at is not null
    union all
    select
        contacts.customer_id,
        contacts.channel,
        contacts.replied_at as engaged_at
    from scoped_contacts as contacts
    where contacts.replied_at is not null

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
        rates.customer_id,
        rates.channel,
        rates.lifecycle_stage as segment,
        rates.sent,
        rates.delivered,
        rates.opened,
        rates.clicked,
        rates.replied,
        rates.engaged,
        -- (successes + alpha) / (delivered + alpha + beta): null with no prior
        {% for metric, successes in [
            ('open', 'opened'), ('click', 'clicked'), ('reply', 'replied'),
            ('engagement', 'engaged')
        ] -%}
            cast(
                (rates.{{ successes }} + rates.{{ metric }}_alpha)
                / (rates.delivered + rates.{{ metric }}_alpha + rates.{{ metric }}_beta)
                as {{ double }}
            ) as {{ metric }}_rate,
        {% endfor %}
        peak.peak_hour_local,
        rates.timezone as peak_hour_timezone,
        rates.last_engaged_at
    from rates
    left join peak
        on
            rates.customer_id = peak.customer_id
            and rates.channel = peak.channel
            and peak.hour_rank = 1

)

select * from final
