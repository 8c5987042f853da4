-- One row per customer who viewed a product (web or app) within
-- chorus_audience_viewer_days of as_of. qualified_at: the last product view.
select
    customer_id,
    last_product_view_at as qualified_at
from {{ ref('int_decision_customer_signals') }}
where
    last_product_view_at
    > {{ dbt.dateadd('day', -var('chorus_audience_viewer_days'), chorus_as_of()) }}
