-- One row per customer whose last order is within chorus_audience_recent_purchase_days
-- of as_of. qualified_at: that order.
select
    customer_id,
    last_order_at as qualified_at
from {{ ref('int_decision_customer_signals') }}
where
    last_order_at
    > {{ dbt.dateadd('day', -var('chorus_audience_recent_purchase_days'), chorus_as_of()) }}
