-- One row per (fit, engagement tier): the lowest base rate of the tier. A customer's base
-- rate is their smoothed engagement rates of customer_engagement averaged over their
-- channels, weighted by messages delivered; the tiers are the population's thirds of it
-- (high: the top third, light: the bottom third, medium between), so they follow the
-- business's own level of response. customer_fatigue places each customer by these
-- limits, so a customer's tier moves with their own rate only, between refits.
-- A fit store, like int_engagement_priors: fitted at the first batch of each fit period
-- (a full batch, so customer_engagement holds everyone) and kept for the period.
-- (a fit store: its config is in dbt_project.yml)

{% set batch = chorus_engagement_batch() %}

with

base_rates as (

    {{ chorus_fatigue_base_rates(ref('customer_engagement')) }}

),

ranked as (

    select
        base_rate,
        ntile(3) over (order by base_rate desc, customer_id asc) as third
    from base_rates

),

final as (

    select
        case third when 1 then 'high' when 2 then 'medium' else 'light' end
            as engagement_tier,
        min(base_rate) as min_base_rate,
        cast(count(*) as bigint) as customers,
        '{{ batch['fit_key'] or '' }}' as fit_key,
        {{ chorus_as_of() }} as fitted_as_of
    from ranked
    group by 1

)

select * from final
-- nothing to add when the store holds the batch's fit (the planner drops the query)
where {{ 'true' if chorus_fit_is_due() else 'false' }}
