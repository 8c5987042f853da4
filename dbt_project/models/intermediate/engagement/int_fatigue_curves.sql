-- One row per (fit, engagement tier, contacts in the trailing 7 days): how the
-- engagement rate of a marketing message falls with the contact pressure it met, and
-- the weekly cap of the tier that follows from it. A fit store, like
-- int_engagement_priors: fitted at the first batch of each fit period and kept for the
-- period; fatigue_curve shows the current fit.
-- The messages sent at high pressure are not like those sent at none (other customers,
-- other channels: a chat prompt to a visitor nobody else contacts, emails to people on
-- many lists), so the raw rate at each pressure mixes fatigue with who and what is
-- there. The curve is standardized instead: at each pressure, the messages' engagements
-- over what their customers' own smoothed rates on those channels predict, relative to
-- the same ratio at no pressure, times the tier's rate at no pressure
-- (standardized_rate).
-- A customer sent n messages a week meets about n - 1 others in the 7 days before
-- each, so n a week bring n * rate(n - 1) engagements; the n-th message adds the
-- difference to n - 1 a week. The tier's cap is the largest n up to which every extra
-- message still adds at least var chorus_fatigue_min_marginal_engagement engagements
-- and every point has at least var chorus_fatigue_curve_min_messages messages (never
-- below var chorus_fatigue_min_weekly_cap). Pressures above var
-- chorus_fatigue_curve_max_contacts are counted at that value.

-- (a fit store: its config is in dbt_project.yml)

{% set double = chorus_type_double() %}
{% set max_contacts = var('chorus_fatigue_curve_max_contacts') %}
{% set batch = chorus_engagement_batch() %}

with

pressure as (

    select
        engagement_tier,
        least(contacts_7d, {{ max_contacts }}) as contacts_7d,
        is_engaged,
        expected_rate
    from {{ ref('int_fatigue_message_pressure') }}

),

points as (

    select
        engagement_tier,
        contacts_7d,
        cast(count(*) as bigint) as messages,
        cast(sum(case when is_engaged then 1 else 0 end) as bigint) as engaged,
        cast(sum(case when is_engaged then 1 else 0 end) as {{ double }}) / count(*)
            as engagement_rate,
        -- the expected rates summed as decimals, exactly: a sum of doubles depends on the
        -- order parallel threads add them in, and the cap is read off these points
        cast(sum(case when is_engaged then 1 else 0 end) as {{ double }})
        / cast(sum(cast(expected_rate as decimal(38, 12))) as {{ double }})
            as engaged_over_expected
    from pressure
    group by 1, 2

),

standardized as (

    select
        points.*,
        case
            when unpressured.engaged_over_expected > 0
                then
                    unpressured.engagement_rate
                    * points.engaged_over_expected / unpressured.engaged_over_expected
        end as standardized_rate
    from points
    left join points as unpressured
        on
            points.engagement_tier = unpressured.engagement_tier
            and unpressured.contacts_7d = 0

),

weekly as (

    select
        *,
        contacts_7d + 1 as weekly_messages,
        (contacts_7d + 1) * standardized_rate as weekly_engagements,
        (contacts_7d + 1) * standardized_rate - coalesce(
            lag((contacts_7d + 1) * standardized_rate) over (
                partition by engagement_tier order by contacts_7d
            ),
            0
        ) as marginal_engagements,
        -- a gap in the curve (no message at some pressure) ends it there
        contacts_7d = row_number() over (
            partition by engagement_tier order by contacts_7d
        ) - 1 as is_contiguous
    from standardized

),

first_stop as (

    select
        engagement_tier,
        min(
            case
                when
                    not is_contiguous
                    or standardized_rate is null
                    or messages < {{ var('chorus_fatigue_curve_min_messages') }}
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
        weekly.engaged,
        cast(weekly.engagement_rate as {{ double }}) as engagement_rate,
        cast(weekly.standardized_rate as {{ double }}) as standardized_rate,
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
