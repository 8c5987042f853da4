-- The latest change in consent_history of each (customer, channel, purpose) is the
-- status customer_consent decided from its latest signal: the two models order signals
-- the same way. One row per disagreement.
-- an asset check of consent_history in Dagster (it reads customer_consent too)
{{ config(meta={'dagster': {'ref': {'name': 'consent_history'}}}) }}
with

latest_change as (

    select
        customer_id,
        channel,
        purpose,
        status,
        row_number() over (
            partition by customer_id, channel, purpose
            order by
                changed_at desc,
                case when status = 'opted_out' then 0 else 1 end,
                source_event_id desc
        ) as change_rank
    from {{ ref('consent_history') }}

),

consent as (

    select * from {{ ref('customer_consent') }}
    where basis in ('explicit_opt_in', 'explicit_opt_out')

)

select
    consent.customer_id,
    consent.channel,
    consent.purpose,
    consent.basis,
    latest_change.status as history_status
from consent
left join latest_change
    on
        consent.customer_id = latest_change.customer_id
        and consent.channel = latest_change.channel
        and consent.purpose = latest_change.purpose
        and latest_change.change_rank = 1
where
    latest_change.status is null
    or latest_change.status <> case
        when consent.basis = 'explicit_opt_in' then 'opted_in' else 'opted_out'
    end
