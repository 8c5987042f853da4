-- One row per customer (customers): what the audiences and the priority score read of
-- them as of as_of: when they were first seen and last bought (completed orders), their
-- last cart addition, product view and app event in the behaviour window, whether they
-- bought after that cart, and the chance that they visit the site within the period
-- (visit_probability), which weighs a message shown only inside a visit
-- (channel_policy.shown_on_visit: a chat prompt).
--
-- visit_probability: the customer's periods with a web product view among the
-- periods of the visit window they could have visited in (exposure_periods: the
-- window, or fewer for a customer first seen within it), smoothed toward everyone's
-- by empirical Bayes: (visit_periods + a) / (exposure_periods + a + b), with the beta
-- prior (a, b) fitted by moments over the customers seen the whole window (their
-- share's mean m and variance v, n periods each: the overdispersion
-- rho = (v n / (m (1 - m)) - 1) / (n - 1), and a + b = 1 / rho - 1). Without
-- overdispersion everyone gets the mean; with fewer than two such customers, their
-- own share.
{%- set periods = chorus_visit_window_periods() %}
{%- set period_seconds = chorus_decision_period_seconds() %}

with

behaviour as (

    select
        customer_id,
        max(case when event_type = 'add_to_cart' then last_occurred_at end) as last_cart_at,
        max(case when event_type = 'product_view' then last_occurred_at end)
            as last_product_view_at,
        max(case when event_source = 'app' then last_occurred_at end) as last_app_event_at,
        bit_or(
            case
                when event_source = 'web' and event_type = 'product_view' then active_periods
                else cast(0 as bigint)
            end
        ) as web_view_periods
    from {{ ref('int_decision_behaviour') }}
    group by 1

),

customers as (

    select
        customer_id,
        is_known,
        first_seen_at,
        order_count,
        first_order_at,
        last_order_at
    from {{ ref('customers') }}

),

joined as (

    select
        customers.customer_id,
        customers.is_known,
        customers.first_seen_at,
        customers.order_count,
        customers.first_order_at,
        customers.last_order_at,
        behaviour.last_cart_at,
        behaviour.last_product_view_at,
        behaviour.last_app_event_at,
        coalesce(customers.last_order_at >= behaviour.last_cart_at, false) as bought_after_cart,
        coalesce({{ chorus_bit_count('behaviour.web_view_periods') }}, 0) as visit_periods,
        -- the window's periods since the customer was first seen (part of one counts)
        cast(
            greatest(
                least(
                    {{ periods }},
                    ceil(
                        cast(
                            {{ chorus_epoch_seconds(chorus_as_of()) }}
                            - {{ chorus_epoch_seconds('customers.first_seen_at') }}
                            as {{ chorus_type_double() }}
                        )
                        / {{ period_seconds }}
                    )
                ),
                1
            )
            as {{ dbt.type_int() }}
        ) as exposure_periods
    from customers
    left join behaviour
        on customers.customer_id = behaviour.customer_id

),

moments as (

    select
        count(*) as customers_seen,
        avg(cast(visit_periods as {{ chorus_type_double() }}) / {{ periods }}) as mean_share,
        var_pop(cast(visit_periods as {{ chorus_type_double() }}) / {{ periods }})
            as share_variance
    from joined
    where exposure_periods = {{ periods }}

),

prior as (

    select
        mean_share,
        case
            when customers_seen < 2 or mean_share <= 0 or mean_share >= 1 then null
            {% if periods > 1 -%}
                when dispersion <= 1 then 1e6
                else least(1e6, greatest(0, {{ periods - 1 }} / (dispersion - 1) - 1))
            {%- else -%}
                else 0
            {%- endif %}
        end as prior_strength
    from (
        select
            *,
            -- v n / (m (1 - m)): 1 + (n - 1) rho, 1 when every customer has the mean
            share_variance * {{ periods }} / (mean_share * (1 - mean_share)) as dispersion
        from moments
    ) as fitted

),

-- the prior's pseudo-counts: a (visits) and a + b (periods); none without a prior
pseudo_counts as (

    select
        coalesce(mean_share * prior_strength, 0) as prior_visits,
        coalesce(prior_strength, 0) as prior_periods
    from prior

),

final as (

    select
        joined.customer_id,
        joined.is_known,
        joined.first_seen_at,
        joined.order_count,
        joined.first_order_at,
        joined.last_order_at,
        joined.last_cart_at,
        joined.last_product_view_at,
        joined.last_app_event_at,
        joined.bought_after_cart,
        joined.visit_periods,
        joined.exposure_periods,
        -- to six decimals: the same number on every engine
        cast(
            round(
                cast(
                    (
                        least(joined.visit_periods, joined.exposure_periods)
                        + pseudo_counts.prior_visits
                    )
                    / (joined.exposure_periods + pseudo_counts.prior_periods)
                    as decimal(18, 9)
                ),
                6
            )
            as {{ chorus_type_double() }}
        ) as visit_probability
    from joined
    cross join pseudo_counts

)

select * from final
