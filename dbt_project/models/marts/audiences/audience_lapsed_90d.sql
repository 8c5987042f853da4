-- One row per customer who has bought, but not within chorus_audience_lapsed_days of
-- as_of. qualified_at: the day they lapsed (the last order plus those days).
select
    customer_id,
    {{ dbt.dateadd('day', var('chorus_audience_lapsed_days'), 'last_order_at') }} as qualified_at
from {{ ref('int_decision_customer_signals') }}
where
    order_count > 0
    and last_order_at
    <= {{ dbt.dateadd('day', -var('chorus_audience_lapsed_days'), chorus_as_of()) }}
