-- One row per known customer first seen within chorus_audience_new_signup_days of
-- as_of. qualified_at: first seen.
select
    customer_id,
    first_seen_at as qualified_at
from {{ ref('int_decision_customer_signals') }}
where
    is_known
    and first_seen_at
    > {{ dbt.dateadd('day', -var('chorus_audience_new_signup_days'), chorus_as_of()) }}
