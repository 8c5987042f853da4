-- One row per (fit, engagement tier, contacts in the trailing 7 days): how the
-- engagement rate of a marketing message falls with the contact pressure it met, and
-- the weekly cap of the tier that follows from it. A fit store, like
-- int_engagement_priors: fitted at the first batch of each fit period and kept for the
-- period; fatigue_curve shows the current fit.
-- The messages sent at high pressure are not like those sent at none (other customers,
-- other channels: a chat prompt to a visitor nobody else contacts, emails to people on
-- many lists), so the raw rate at each pressure mixes fatigue with who and what is
-- there. The curve compares each customer's channel with itself instead: at each
-- pressure c, the Mantel-Haenszel rate ratio over the strata (customer, channel) that
-- have messages both at c and at no pressure,
--   sum(e_c * n_0 / (n_c + n_0)) / sum(e_0 * n_c / (n_c + n_0))
-- (n messages, e engagements), times the tier's rate at no pressure (standardized_rate).
-- A stratum with messages at one pressure only adds nothing to it. Measured against
-- the generator's true curve at 1M customers, it recovers the truth within 0.03 up
-- to 6 contacts, where a ratio to each customer's own smoothed rate sat 0.07-0.14
-- above it: that rate carries the customer's pressured messages, so it is lowered by
-- the very fatigue the curve measures (docs/DECISIONS.md "Fatigue and the cap").
-- A log-logistic curve r0 / (1 + (c / c50)^k) is fitted through the standardized rates
-- (fitted_rate; below). A customer sent n messages a week meets about n - 1 others in
-- the 7 days before each, so n a week bring n * rate(n - 1) engagements, read off the
-- fitted curve; the n-th message adds the difference to n - 1 a week. The tier's cap is
-- the largest n up to which every extra message still adds at least var
-- chorus_fatigue_min_marginal_engagement engagements and every point's standardized
-- rate reads at least var chorus_fatigue_curve_min_messages messages (matched_messages;
-- never below var chorus_fatigue_min_weekly_cap). Pressures above var
-- chorus_fatigue_curve_max_contacts are counted at that value.

-- (a fit store: its config is in dbt_project.yml)

{% set double = chorus_type_double() %}
{% set max_contacts = var('chorus_fatigue_curve_max_contacts') %}
{% set batch = chorus_engagement_batch() %}

with

-- one row per stratum (customer, channel) and pressure
strata as (

    select
        engagement_tier,
        customer_id,
        channel,
        least(contacts_7d, {{ max_contacts }}) as contacts_7d,
        count(*) as messages,
        sum(case when is_engaged then 1 else 0 end) as engaged
    from {{ ref('int_fatigue_message_pressure') }}
    group by 1, 2, 3, 4

),

points as (

    select
        engagement_tier,
        contacts_7d,
        cast(sum(messages) as bigint) as messages,
        cast(sum(engaged) as bigint) as engaged,
        cast(sum(engaged) as {{ double }}) / sum(messages) as engagement_rate
    from strata
    group by 1, 2

),

-- the Mantel-Haenszel sums; each term as a decimal, summed exactly: a sum of doubles
-- depends on the order parallel threads add them in, and the cap is read off these
mantel_haenszel as (

    select
        pressed.engagement_tier,
        pressed.contacts_7d,
        sum(cast(
            cast(pressed.engaged * unpressed.messages as {{ double }})
            / (pressed.messages + unpressed.messages)
            as decimal(38, 12)
        )) as numerator,
        sum(cast(
            cast(unpressed.engaged * pressed.messages as {{ double }})
            / (pressed.messages + unpressed.messages)
            as decimal(38, 12)
        )) as denominator,
        cast(sum(pressed.messages) as bigint) as matched_messages
    from strata as pressed
    inner join strata as unpressed
        on
            pressed.customer_id = unpressed.customer_id
            and pressed.channel = unpressed.channel
            and unpressed.contacts_7d = 0
    where pressed.contacts_7d > 0
    group by 1, 2

),

standardized as (

    select
        points.*,
        -- the messages the standardized rate reads: at no pressure all of them, else
        -- those of the strata with messages at no pressure too
        case
            when points.contacts_7d = 0 then points.messages
            else coalesce(mantel_haenszel.matched_messages, 0)
        end as matched_messages,
        -- r0: the tier's rate at no pressure, which the curve is scaled to
        unpressured.engagement_rate as base_rate,
        case
            when points.contacts_7d = 0 then points.engagement_rate
            when mantel_haenszel.denominator > 0
                then
                    unpressured.engagement_rate
                    * cast(mantel_haenszel.numerator as {{ double }})
                    / cast(mantel_haenszel.denominator as {{ double }})
        end as standardized_rate
    from points
    left join mantel_haenszel
        on
            points.engagement_tier = mantel_haenszel.engagement_tier
            and points.contacts_7d = mantel_haenszel.contacts_7d
    left join points as unpressured
        on
            points.engagement_tier = unpressured.engagement_tier
            and unpressured.contacts_7d = 0

),

-- the log-logistic curve r(c) = r0 / (1 + (c / c50)^k) through the standardized
-- rates: ln(r0 / r(c) - 1) = k ln c - k ln c50 is a line in ln c, fitted per tier by
-- least squares weighted by the square root of each point's matched messages, over the
-- points with var chorus_fatigue_curve_min_messages of them and a rate between 0 and r0.
-- One rate read off a curve through every point varies far less than a point's own:
-- the cap, which sits where the curve flattens, stops moving by one or two from fit to
-- fit (docs/DECISIONS.md "Fatigue and the cap"). Each term is a decimal, summed exactly.
fit_points as (

    select
        engagement_tier,
        sqrt(cast(matched_messages as {{ double }})) as w,
        ln(cast(contacts_7d as {{ double }})) as x,
        ln(base_rate / standardized_rate - 1) as y
    from standardized
    where
        contacts_7d > 0
        and matched_messages >= {{ var('chorus_fatigue_curve_min_messages') }}
        and standardized_rate > 0
        and standardized_rate < base_rate

),

fit_sums as (

    select
        engagement_tier,
        count(*) as fit_points,
        cast(sum(cast(w as decimal(38, 12))) as {{ double }}) as sw,
        cast(sum(cast(w * x as decimal(38, 12))) as {{ double }}) as swx,
        cast(sum(cast(w * y as decimal(38, 12))) as {{ double }}) as swy,
        cast(sum(cast(w * x * x as decimal(38, 12))) as {{ double }}) as swxx,
        cast(sum(cast(w * x * y as decimal(38, 12))) as {{ double }}) as swxy
    from fit_points
    group by 1

),

-- the slope k and the intercept -k ln c50; a tier with fewer than three points, or
-- whose curve does not fall, keeps its standardized rates
log_logistic as (

    select
        engagement_tier,
        slope as k,
        (swy - slope * swx) / sw as intercept
    from (
        select
            *,
            (sw * swxy - swx * swy) / nullif(sw * swxx - swx * swx, 0) as slope
        from fit_sums
        where fit_points >= 3
    ) as fitted
    where slope > 0

),

curve as (

    select
        standardized.*,
        case
            when standardized.contacts_7d = 0 then standardized.standardized_rate
            when log_logistic.k is not null
                then standardized.base_rate / (
                    1 + exp(
                        log_logistic.intercept
                        + log_logistic.k * ln(cast(standardized.contacts_7d as {{ double }}))
                    )
                )
        end as fitted_rate
    from standardized
    left join log_logistic
        on standardized.engagement_tier = log_logistic.engagement_tier

),

-- what n a week bring: read off the fitted curve where the tier has one
weekly as (

    select
        *,
        contacts_7d + 1 as weekly_messages,
        (contacts_7d + 1) * coalesce(fitted_rate, standardized_rate) as weekly_engagements,
        (contacts_7d + 1) * coalesce(fitted_rate, standardized_rate) - coalesce(
            lag((contacts_7d + 1) * coalesce(fitted_rate, standardized_rate)) over (
                partition by engagement_tier order by contacts_7d
            ),
            0
        ) as marginal_engagements,
        -- a gap in the curve (no message at some pressure) ends it there
        contacts_7d = row_number() over (
            partition by engagement_tier order by contacts_7d
        ) - 1 as is_contiguous
    from curve

),

first_stop as (

    select
        engagement_tier,
        min(
            case
                when
                    not is_contiguous
                    or standardized_rate is null
                    or matched_messages < {{ var('chorus_fatigue_curve_min_messages') }}
                    or marginal_engagements < {{ var('chorus_fatigue_min_marginal_engagement') }}
                    then weekly_messages
            end
        ) as stop_at,
        max(weekly_messages) as last_point
    from weekly
    group by 1

),

final as (

    select
        weekly.engagement_tier,
        weekly.contacts_7d,
        weekly.weekly_messages,
        weekly.messages,
        cast(weekly.matched_messages as bigint) as matched_messages,
        weekly.engaged,
        cast(weekly.engagement_rate as {{ double }}) as engagement_rate,
        cast(weekly.standardized_rate as {{ double }}) as standardized_rate,
        cast(weekly.fitted_rate as {{ double }}) as fitted_rate,
        cast(weekly.weekly_engagements as {{ double }}) as weekly_engagements,
        cast(weekly.marginal_engagements as {{ double }}) as marginal_engagements,
        cast(greatest(
            coalesce(first_stop.stop_at - 1, first_stop.last_point),
            {{ var('chorus_fatigue_min_weekly_cap') }}
        ) as integer) as tier_weekly_cap,
        '{{ batch['fit_key'] or '' }}' as fit_key,
        {{ chorus_as_of() }} as fitted_as_of
    from weekly
    inner join first_stop
        on weekly.engagement_tier = first_stop.engagement_tier

)

select * from final
-- nothing to add when the store holds the batch's fit (the planner drops the query)
where {{ 'true' if chorus_fit_is_due() else 'false' }}
