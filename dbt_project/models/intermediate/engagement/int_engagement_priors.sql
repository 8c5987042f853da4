-- One row per (fit, segment, channel, metric): the beta prior that smooths a customer's
-- rate, fitted by the method of moments. A fit store (docs/DECISIONS.md "Fits on a
-- schedule"): the first batch of each fit period (var chorus_engagement_fit_days) fits
-- the priors from the data as of then and appends them under the batch's fit_key;
-- every batch of the period scores with them (chorus_current_fit), so the smoothed rates
-- move only with a customer's own data between refits. --full-refresh keeps the store;
-- var chorus_engagement_refit fits the period again. A segment is a lifecycle stage; segment
-- '(all)' is the whole population, the prior of a stage with fewer than var
-- chorus_engagement_prior_min_customers customers with history.
-- Fit, over the customers with at least one delivered message: the mean m = (total
-- successes + 0.5) / (total trials + 1), inside (0, 1) even when all responded; the
-- spread between customers v = the trial-weighted variance of their rates less the
-- binomial noise those trials alone would give,
-- m (1 - m) * customers / trials; the prior strength (alpha + beta, in messages)
-- k = m (1 - m) / v - 1, kept within var chorus_engagement_prior_strength_min and _max
-- (the maximum also when v <= 0: the customers differ no more than chance);
-- alpha = m k, beta = (1 - m) k. A metric no customer ever succeeded at on a channel
-- (SMS has no opens) has no prior, and its rates stay null.

-- (a fit store: its config is in dbt_project.yml)

{% set double = chorus_type_double() %}
{% set batch = chorus_engagement_batch() %}

with

policy as (

    select
        channel,
        tracks_opens
    from {{ ref('channel_policy') }}

),

counts as (

    select
        counts.*,
        profiles.lifecycle_stage,
        policy.tracks_opens
    from {{ ref('int_engagement_counts') }} as counts
    inner join {{ ref('int_customer_profiles') }} as profiles
        on counts.customer_id = profiles.customer_id
    inner join policy
        on counts.channel = policy.channel
    where counts.delivered > 0

),

-- one row per (customer, channel, metric): the metric's trials (messages delivered)
-- and successes; opens only where the channel tracks them
metrics as (

    select
        lifecycle_stage,
        channel,
        'open' as metric,
        delivered as trials,
        opened as successes
    from counts
    where tracks_opens
    union all
    select
        lifecycle_stage,
        channel,
        'click' as metric,
        delivered as trials,
        clicked as successes
    from counts
    union all
    select
        lifecycle_stage,
        channel,
        'reply' as metric,
        delivered as trials,
        replied as successes
    from counts
    union all
    select
        lifecycle_stage,
        channel,
        'engagement' as metric,
        delivered as trials,
        engaged as successes
    from counts

),

by_customer as (

    select
        lifecycle_stage as segment,
        channel,
        metric,
        trials,
        successes
    from metrics
    union all
    select
        '(all)' as segment,
        channel,
        metric,
        trials,
        successes
    from metrics

),

means as (

    select
        segment,
        channel,
        metric,
        count(*) as customers,
        sum(trials) as trials,
        sum(successes) as successes,
        -- half a success in one extra trial keeps the mean inside (0, 1), so a segment
        -- in which everyone (or no one) responded still has a proper prior
        (cast(sum(successes) as {{ double }}) + 0.5) / (sum(trials) + 1) as mean_rate,
        -- sum of trials * rate^2 (= successes^2 / trials), each term a decimal so the
        -- sum is exact: a sum of doubles depends on the order parallel threads add
        -- them in, and a rebuild would fit a prior different in the last digits
        sum(
            cast(cast(successes as {{ double }}) * successes / trials as decimal(38, 12))
        ) as weighted_squared_rates
    from by_customer
    group by 1, 2, 3

),

-- the trial-weighted variance of the customers' rates around the mean, expanded:
-- sum(trials * (rate - m)^2) / trials = squared rates / trials - 2 m successes / trials
-- + m^2
fitted as (

    select
        segment,
        channel,
        metric,
        customers,
        trials,
        successes,
        mean_rate,
        cast(weighted_squared_rates as {{ double }}) / trials
        - 2 * mean_rate * cast(successes as {{ double }}) / trials
        + mean_rate * mean_rate
        - mean_rate * (1 - mean_rate) * customers / trials
            as between_variance
    from means
    where successes > 0

),

strength as (

    select
        *,
        case
            when between_variance <= 0 then {{ var('chorus_engagement_prior_strength_max') }}
            else least(
                greatest(
                    mean_rate * (1 - mean_rate) / between_variance - 1,
                    {{ var('chorus_engagement_prior_strength_min') }}
                ),
                {{ var('chorus_engagement_prior_strength_max') }}
            )
        end as prior_strength
    from fitted

),

final as (

    select
        segment,
        channel,
        metric,
        customers,
        cast(trials as bigint) as trials,
        cast(successes as bigint) as successes,
        mean_rate,
        between_variance,
        cast(prior_strength as {{ double }}) as prior_strength,
        cast(mean_rate * prior_strength as {{ double }}) as alpha,
        cast((1 - mean_rate) * prior_strength as {{ double }}) as beta,
        '{{ batch['fit_key'] or '' }}' as fit_key,
        {{ chorus_as_of() }} as fitted_as_of
    from strength

)

select * from final
-- nothing to add when the store holds the batch's fit (the planner drops the query)
where {{ 'true' if chorus_fit_is_due() else 'false' }}
