-- One row per customer: everyone, known or anonymous (a chat prompt reaches a visitor
-- by their cookie). qualified_at: first seen.
select
    customer_id,
    first_seen_at as qualified_at
from {{ ref('int_decision_customer_signals') }}
