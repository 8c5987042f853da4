-- Every type a limit counts must be a known identifier type or trait (first_name): a
-- typo ('userid') would silently turn the limit off, and a household email would merge
-- a whole family. counted_by is '|'-separated.
{% set known = (chorus_identity_types() + chorus_identity_traits()) | join('|') %}

select
    identifier_type,
    counted_by
from {{ ref('identity_rules') }}
where
    counted_by is not null
    and not {{ chorus_regexp_like(
        'counted_by',
        '^(' ~ known ~ ')([|](' ~ known ~ '))*$'
    ) }}
