-- One row per customer with delivered marketing messages: their engagement tier, from
-- their own responsiveness: the smoothed engagement rates of customer_engagement
-- averaged over their channels, weighted by messages delivered, compared with the
-- population's thirds (high: the top third, light: the bottom third, medium between).
-- Tiers by rank, not fixed rates, so they follow the business's own level of response.

with

weighted as (

    select
        customer_id,
        sum(delivered * engagement_rate) / sum(delivered) as base_rate,
        sum(delivered) as delivered
    from {{ ref('customer_engagement') }}
    where delivered > 0 and engagement_rate is not null
    group by 1

),

ranked as (

    select
        customer_id,
        base_rate,
        delivered,
        ntile(3) over (order by base_rate desc, customer_id asc) as third
    from weighted

),

final as (

    select
        customer_id,
        base_rate,
        cast(delivered as bigint) as delivered,
        case third when 1 then 'high' when 2 then 'medium' else 'light' end
            as engagement_tier
    from ranked

)

select * from final
