-- Every type a limit counts must be a known identifier type: a typo ('userid') would
-- silently turn the limit off, and a household email would merge a whole family.
-- counted_by is '|'-separated.
select
    identifier_type,
    counted_by
from {{ ref('identity_rules') }}
where
    counted_by is not null
    and not {{ chorus_regexp_like(
        'counted_by',
        '^(user_id|email|phone|contact_id|device_id|anonymous_id|email_sha256)'
        ~ '([|](user_id|email|phone|contact_id|device_id|anonymous_id|email_sha256))*$'
    ) }}
