-- Every campaign's content_format is one the channel choice knows (rich, short,
-- conversational, as channel_policy.content_formats spells them): an unknown format
-- would fit no channel and every message would go out at a mismatch.
select
    campaign_id,
    content_format
from {{ ref('campaigns') }}
where content_format is null or content_format not in ('rich', 'short', 'conversational')
