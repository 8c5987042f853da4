-- One row per known customer (an email, a phone or an account) who has not bought yet.
-- qualified_at: first seen.
select
    customer_id,
    first_seen_at as qualified_at
from {{ ref('int_decision_customer_signals') }}
where is_known and order_count = 0
