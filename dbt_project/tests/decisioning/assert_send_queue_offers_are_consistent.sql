-- Invariant: one offer code per customer and promotion family across channels: the
-- sends of a family carry one code, and it is the code the customer was first offered
-- in that family when they were offered one before (contacts).
-- an asset check of send_queue in Dagster (it reads other models too)
{{ config(meta={'dagster': {'ref': {'name': 'send_queue'}}}) }}
with

sends as (

    select * from {{ ref('send_queue') }}
    where decision = 'send' and promotion_family is not null and offer_code is not null

),

first_offers as (

    select * from {{ ref('int_decision_first_offers') }}

)

select
    sends.customer_id,
    sends.promotion_family,
    count(distinct sends.offer_code) as codes,
    max(first_offers.offer_code) as first_offered
from sends
left join first_offers
    on sends.customer_id = first_offers.customer_id and sends.promotion_family = first_offers.promotion_family
group by 1, 2
having
    count(distinct sends.offer_code) > 1
    or max(case when first_offers.offer_code is not null and sends.offer_code <> first_offers.offer_code then 1 else 0 end) = 1
