-- Every channel a campaign allows must be a real channel: a typo ('emial') would
-- silently make the campaign unsendable on that channel, and the decision layer would
-- shift the message elsewhere. allowed_channels is '|'-separated.
select
    campaign_id,
    allowed_channels
from {{ ref('campaigns') }}
where not {{ chorus_regexp_like(
    'lower(trim(allowed_channels))',
    '^(email|sms|push|chat|ads)([|](email|sms|push|chat|ads))*$'
) }}
