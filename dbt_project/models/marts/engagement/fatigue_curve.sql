-- One row per (engagement tier, contacts in the trailing 7 days) of the current fit: how
-- the engagement rate of a marketing message falls with the contact pressure it met,
-- and the weekly cap of the tier that follows from it (int_fatigue_curves, which keeps
-- every fit period's curve; fitted_as_of says when this one was fitted).

with

curves as (

    select * from {{ ref('int_fatigue_curves') }}
    where {{ chorus_current_fit() }}

),

final as (

    select
        engagement_tier,
        contacts_7d,
        weekly_messages,
        messages,
        matched_messages,
        engaged,
        engagement_rate,
        standardized_rate,
        fitted_rate,
        weekly_engagements,
        marginal_engagements,
        tier_weekly_cap,
        fit_key,
        fitted_as_of
    from curves

)

select * from final
