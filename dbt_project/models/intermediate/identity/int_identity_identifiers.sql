-- One row per normalized identifier (identifier_type, identifier_value) seen in any
-- source: when and how often it was seen, whether it is junk (identity_blocklist) or
-- shared (identity_rules: seen on its own records with more distinct values of a
-- counted type than the limit allows), and its node_id in the identity graph
-- (chorus_node_id, a hash of type and value).
-- A hashed email (email_sha256) is junk or shared when the email it hashes is.
-- int_identity_bridges adds the shared values this record-level count cannot see.
--
-- Batched (macros/identity/chorus_identity_batch.sql): an incremental batch recomputes
-- the identifiers on the records it changed (and the email or hash each one pairs
-- with), from all their records; an identifier left on no record is deleted.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    chorus_identity_batched=true,
    post_hook=[
        "{{ chorus_identity_replace_region('node_id in (select node_id from {region})') }}",
        "{{ chorus_identity_progress() }}",
    ],
) }}

{% set batch = chorus_identity_batch() %}
{% set records_region = chorus_identity_region_relation(ref('int_identity_records')) %}
{% set region = chorus_identity_region(
    "with changed as (" ~ chorus_identity_unpivot(records_region, ['record_id']) ~ "),"
    ~ " partners as ("
    ~ " select " ~ chorus_node_id("'email_sha256'", chorus_sha256('identifier_value')) ~ " as node_id"
    ~ " from changed where identifier_type = 'email'"
    ~ " union all"
    ~ " select stored.node_id from " ~ this ~ " as stored"
    ~ " where stored.identifier_type = 'email' and stored.email_sha256 in"
    ~ " (select identifier_value from changed where identifier_type = 'email_sha256'))"
    ~ " select node_id from changed union select node_id from partners"
) %}

-- Regex junk patterns: with the pattern in a column, DuckDB compiles the expression for
-- every row (50x slower: 1.6 s per million values); so when building, the seed's
-- patterns are read first and written into the SQL as literals.
{% set regex_patterns_rows = none %}
{% if chorus_is_building() %}
    {% set regex_patterns_rows = run_query(
        "select identifier_type, pattern, reason from " ~ ref('identity_blocklist')
        ~ " where match_type = 'regex' order by identifier_type, pattern"
    ).rows %}
{% endif %}

with

record_identifiers as (

    select * from {{ ref('int_identity_record_identifiers') }}

),

-- the nodes this batch recomputes, on the records that hold them
region_nodes as (

    select * from record_identifiers
    {% if region is not none -%}
        where node_id in (select node_id from {{ region }})
    {%- endif %}

),

records as (

    select * from {{ ref('int_identity_records') }}
    {% if region is not none -%}
        where record_id in (select record_id from region_nodes)
    {%- endif %}

),

record_values as (

    {{ chorus_identity_unpivot(
        'records', ['record_id', 'first_seen_at', 'last_seen_at', 'row_count']
    ) }}

),

rules as (

    select * from {{ ref('identity_rules') }}

),

limits as (

    select * from {{ ref('int_identity_limits') }}

),

blocklist as (

    select * from {{ ref('identity_blocklist') }}

),

observed as (

    select
        node_id,
        identifier_type,
        identifier_value,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at,
        sum(row_count) as occurrences,
        count(*) as record_count
    from record_values
    {% if region is not none -%}
        where node_id in (select node_id from {{ region }})
    {%- endif %}
    group by 1, 2, 3

),

priorities as (

    select
        identifier_type,
        min(priority) as priority
    from rules
    group by 1

),

exact_patterns as (

    select
        identifier_type,
        reason,
        lower(pattern) as pattern
    from blocklist
    where match_type = 'exact'

),

regex_patterns as (

    select
        identifier_type,
        pattern,
        reason
    from blocklist
    where match_type = 'regex'

),

exact_matches as (

    select
        observed.identifier_type,
        observed.identifier_value,
        observed.node_id,
        1 as precedence,
        exact_patterns.reason
    from observed
    inner join exact_patterns
        on lower(observed.identifier_value) = exact_patterns.pattern
    where exact_patterns.identifier_type in ('*', observed.identifier_type)

),

-- an exact junk email is junk in its hashed form too (ad platforms send the hash)
hashed_matches as (

    select
        observed.identifier_type,
        observed.identifier_value,
        observed.node_id,
        2 as precedence,
        exact_patterns.reason
    from observed
    inner join exact_patterns
        on observed.identifier_value = {{ chorus_sha256('exact_patterns.pattern') }}
    where
        observed.identifier_type = 'email_sha256'
        and exact_patterns.identifier_type in ('*', 'email')

),

regex_matches as (

    {% if regex_patterns_rows is none -%}
        -- the patterns as data, row by row (unit tests, compile): the same answer, slower
        select
            observed.identifier_type,
            observed.identifier_value,
            observed.node_id,
            3 as precedence,
            regex_patterns.reason
        from observed
        inner join regex_patterns
            on
                observed.identifier_type = regex_patterns.identifier_type
                or regex_patterns.identifier_type = '*'
        where
            {{ chorus_regexp_matches(
                'lower(observed.identifier_value)', 'regex_patterns.pattern'
            ) }}
    {%- else -%}
        -- the patterns written into the SQL as literals (read from the seed while building)
        {% for row in regex_patterns_rows -%}
        select
            identifier_type,
            identifier_value,
            node_id,
            3 as precedence,
            '{{ row.reason | replace("'", "''") }}' as reason
        from observed
        where
            {% if row.identifier_type != '*' -%}
                identifier_type = '{{ row.identifier_type }}' and
            {% endif -%}
            {{ chorus_regexp_like('lower(identifier_value)', row.pattern | replace("'", "''")) }}
        union all
        {% endfor -%}
        select
            identifier_type,
            identifier_value,
            node_id,
            3 as precedence,
            cast(null as {{ dbt.type_string() }}) as reason
        from observed
        where 1 = 0
    {%- endif %}

),

all_matches as (

    select * from exact_matches
    union all
    select * from hashed_matches
    union all
    select * from regex_matches

),

-- one reason per junk value: an exact pattern's reason is the most specific
junk as (

    select
        identifier_type,
        identifier_value,
        node_id,
        reason as junk_reason
    from (
        select
            identifier_type,
            identifier_value,
            node_id,
            reason,
            row_number() over (
                partition by identifier_type, identifier_value
                order by precedence, reason
            ) as match_rank
        from all_matches
    ) as ranked
    where match_rank = 1

),

-- junk values a record may hold: those recomputed here, and in an incremental batch the
-- stored ones (junk depends on the value and the seeds only; a seed change is a full batch)
known_junk as (

    select node_id from junk
    {% if region is not none -%}
        union
        select node_id from {{ this }}
        where is_junk
    {%- endif %}

),

-- for each limited value: distinct non-junk values of each counted type on its records,
-- by node_id (integers joined and counted, not strings)
linked_counts as (

    select
        subject.node_id,
        limits.counted_type,
        limits.max_linked,
        count(distinct counted.node_id) as linked_values
    from region_nodes as subject
    inner join limits
        on subject.identifier_type = limits.identifier_type
    inner join record_identifiers as counted
        on
            subject.record_id = counted.record_id
            and limits.counted_type = counted.identifier_type
    left join known_junk
        on counted.node_id = known_junk.node_id
    where known_junk.node_id is null
    group by 1, 2, 3

),

over_limit as (

    select
        node_id,
        {{ chorus_limit_breaches('seen with ') }} as shared_reason
    from linked_counts
    where linked_values > max_linked
    group by 1

),

flagged as (

    select
        observed.node_id,
        observed.identifier_type,
        observed.identifier_value,
        observed.first_seen_at,
        observed.last_seen_at,
        observed.occurrences,
        observed.record_count,
        case
            when observed.identifier_type = 'email'
                then {{ chorus_sha256('observed.identifier_value') }}
        end as email_sha256,
        junk.junk_reason,
        case when junk.junk_reason is null then over_limit.shared_reason end as shared_reason
    from observed
    left join junk
        on observed.node_id = junk.node_id
    left join over_limit
        on observed.node_id = over_limit.node_id

),

-- a hashed email inherits the verdict on the email it hashes, when that email is known
inherited as (

    select
        flagged.node_id,
        flagged.identifier_type,
        flagged.identifier_value,
        flagged.first_seen_at,
        flagged.last_seen_at,
        flagged.occurrences,
        flagged.record_count,
        flagged.email_sha256,
        coalesce(
            flagged.junk_reason,
            case when hashed.junk_reason is not null then 'hash of a junk email' end
        ) as junk_reason,
        case
            when flagged.junk_reason is null and hashed.junk_reason is null
                then coalesce(
                    flagged.shared_reason,
                    case when hashed.shared_reason is not null then 'hash of a shared email' end
                )
        end as shared_reason
    from flagged
    left join flagged as hashed
        on
            flagged.identifier_type = 'email_sha256'
            and hashed.identifier_type = 'email'
            and flagged.identifier_value = hashed.email_sha256

),

flags as (

    select
        inherited.*,
        inherited.junk_reason is not null as is_junk,
        inherited.shared_reason is not null as is_shared
    from inherited

),

-- the batch in which what resolution reads of the identifier (usable or not, first seen)
-- last changed: edges, components and customers are rebuilt around those of this batch
final as (

    select
        flags.node_id,
        flags.identifier_type,
        flags.identifier_value,
        priorities.priority,
        flags.first_seen_at,
        flags.last_seen_at,
        flags.occurrences,
        flags.record_count,
        flags.email_sha256,
        flags.is_junk,
        flags.junk_reason,
        flags.is_shared,
        flags.shared_reason,
        {% if region is not none -%}
            case
                when
                    stored.node_id is not null
                    and (stored.is_junk or stored.is_shared) = (flags.is_junk or flags.is_shared)
                    and stored.first_seen_at = flags.first_seen_at
                    then stored.changed_batch_id
                else {{ batch['batch_id'] }}
            end
        {%- else -%}
            {{ batch['batch_id'] }}
        {%- endif %} as changed_batch_id,
        {{ batch['batch_id'] }} as batch_id
    from flags
    left join priorities
        on flags.identifier_type = priorities.identifier_type
    {% if region is not none -%}
        left join {{ this }} as stored
            on flags.node_id = stored.node_id
    {%- endif %}

)

select * from final
