-- Invariant: a customer of the global holdout (chorus_holdout_share, a stable hash of
-- customer_id) never gets a marketing `send`.
select
    queue_id,
    customer_id,
    campaign_id
from {{ ref('send_queue') }}
where decision = 'send' and {{ chorus_is_holdout('customer_id') }}
