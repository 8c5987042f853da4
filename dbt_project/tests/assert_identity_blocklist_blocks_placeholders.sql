-- The placeholders the identity_blocklist seed means to block are junk, as the seed is
-- loaded: dbt's CSV reader turns the text `null` into NULL on every engine, so a row
-- written as `*,null,exact` would match nothing (and fail not_null on pattern); this
-- test fails when any of them, or the SHA-256 of `null` ad platforms send, slips through.
-- The matching follows int_identity_identifiers: exact = lower-case equality, regex =
-- searched in the lower-cased value.
with

placeholders as (

    select 'anonymous_id' as identifier_type, 'null' as identifier_value
    union all
    select 'user_id', 'NULL'
    union all
    select 'device_id', 'undefined'
    union all
    select 'email_sha256', {{ chorus_sha256("'null'") }}

),

blocklist as (

    select * from {{ ref('identity_blocklist') }}

),

matched as (

    select distinct
        placeholders.identifier_type,
        placeholders.identifier_value
    from placeholders
    inner join blocklist
        on blocklist.identifier_type in ('*', placeholders.identifier_type)
    where
        (blocklist.match_type = 'exact' and lower(placeholders.identifier_value) = lower(blocklist.pattern))
        or (
            blocklist.match_type = 'regex'
            and {{ chorus_regexp_matches('lower(placeholders.identifier_value)', 'blocklist.pattern') }}
        )

)

select placeholders.*
from placeholders
left join matched
    on
        placeholders.identifier_type = matched.identifier_type
        and placeholders.identifier_value = matched.identifier_value
where matched.identifier_value is null
