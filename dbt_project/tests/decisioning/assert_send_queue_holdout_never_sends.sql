-- Invariant: a customer of the global holdout (chorus_holdout_share, a stable hash of
-- customer_id) never gets a marketing `send`. Transactional messages (an order
-- confirmation) still go: the holdout measures marketing's lift.
select
    queue_id,
    customer_id,
    campaign_id
from {{ ref('send_queue') }}
where decision = 'send' and purpose = 'marketing' and {{ chorus_is_holdout('customer_id') }}
