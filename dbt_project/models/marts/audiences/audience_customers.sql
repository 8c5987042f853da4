-- One row per customer who has bought (a completed or refunded order). qualified_at:
-- the first order.
select
    customer_id,
    first_order_at as qualified_at
from {{ ref('int_decision_customer_signals') }}
where order_count > 0
