-- One row per customer with an app event (an open, a view, a cart addition) within
-- chorus_audience_app_user_days of as_of. qualified_at: the last app event.
select
    customer_id,
    last_app_event_at as qualified_at
from {{ ref('int_decision_customer_signals') }}
where
    last_app_event_at
    > {{ dbt.dateadd('day', -var('chorus_audience_app_user_days'), chorus_as_of()) }}
