-- One row per customer who added to a cart (or started a checkout) within
-- chorus_audience_cart_hours of as_of and has not bought since. qualified_at: the last
-- cart addition.
select
    customer_id,
    last_cart_at as qualified_at
from {{ ref('int_decision_customer_signals') }}
where
    last_cart_at > {{ dbt.dateadd('hour', -var('chorus_audience_cart_hours'), chorus_as_of()) }}
    and not bought_after_cart
