-- One row per (customer, promotion family) the customer was offered a code in
-- (contacts, up to as_of, any channel): the first code offered, which every later
-- message of the family carries (send_queue).

select
    customer_id,
    promotion_family,
    offer_code,
    sent_at as offered_at
from (
    select
        customer_id,
        promotion_family,
        offer_code,
        sent_at,
        row_number() over (
            partition by customer_id, promotion_family
            order by sent_at asc, contact_id asc
        ) as offer_rank
    from {{ ref('contacts') }}
    where
        customer_id is not null
        and promotion_family is not null
        and offer_code is not null
        and sent_at <= {{ chorus_as_of() }}
) as offers
where offer_rank = 1
