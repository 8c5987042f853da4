-- One row per normalized identifier (identifier_type, identifier_value) seen in any
-- source: when and how often it was seen, when it was in use, whether it is junk
-- (identity_blocklist) or shared (identity_rules, below), and its node_id in the
-- identity graph (chorus_node_id, a hash of type and value).
-- A hashed email (email_sha256) is junk or shared when the email it hashes is.
-- int_identity_bridges adds the shared values this record-level count cannot see.
--
-- Shared (docs/DECISIONS.md "Limits that understand time"): for each limit of its type,
-- the distinct non-junk values of the counted type seen on the value's own records.
--   more than max_over_time                        shared ("seen with 4 phone values
--                                                  over time (limit 3)");
--   more than max_at_once, no more than max_over_time
--                                                  shared only if more than max_at_once
--                                                  of them were in use at one time
--                                                  (chorus_values_at_once): a household
--                                                  email meets two phones in use, a
--                                                  person who changed number meets the old
--                                                  one, then the new one.
-- A value is in use from first_active_at to last_seen_at: from its first sighting, except
-- that a CRM contact shows its values as of its last update (the export does not say
-- since when a number was on it), so a contact edited to a new number does not make
-- the new number look as old as the contact.
--
-- Batched (macros/identity/chorus_identity_batch.sql): an incremental batch recomputes
-- the identifiers on the records it changed (and the email or hash each one pairs
-- with), from all their records, and the values judged by time that share a record
-- with one of those (their counted values' use may have moved); an identifier left on
-- no record is deleted.
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
{% set record_identifiers_relation = ref('int_identity_record_identifiers') %}
{% set region = chorus_identity_region(
    "with changed as (" ~ chorus_identity_unpivot(records_region, ['record_id']) ~ "),"
    ~ " partners as ("
    ~ " select " ~ chorus_node_id("'email_sha256'", chorus_sha256('identifier_value')) ~ " as node_id"
    ~ " from changed where identifier_type = 'email'"
    ~ " union all"
    ~ " select stored.node_id from " ~ this ~ " as stored"
    ~ " where stored.identifier_type = 'email' and stored.email_sha256 in"
    ~ " (select identifier_value from changed where identifier_type = 'email_sha256')),"
    ~ " timed_counted as ("
    ~ " select node_id from changed where identifier_type in ("
    ~ " select counted_type from " ~ ref('int_identity_limits')
    ~ " where max_over_time > max_at_once)),"
    ~ " judged as ("
    ~ " select co_located.node_id from " ~ record_identifiers_relation ~ " as co_located"
    ~ " inner join " ~ this ~ " as stored"
    ~ " on co_located.node_id = stored.node_id and stored.is_judged_by_time"
    ~ " where co_located.record_id in ("
    ~ " select record_id from " ~ record_identifiers_relation
    ~ " where node_id in (select node_id from timed_counted)))"
    ~ " select node_id from changed union select node_id from partners"
    ~ " union select node_id from judged"
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

-- the first names on CRM records, read apart: a second reader of `records` would make
-- the engine keep all of it (10M wide rows at 1M customers, 7 s) instead of streaming it
named_records as (

    select
        record_id,
        contact_id,
        first_name
    from {{ ref('int_identity_records') }}
    where first_name is not null
    {% if region is not none -%}
        and record_id in (select record_id from region_nodes)
    {%- endif %}

),

record_values as (

    {{ chorus_identity_unpivot(
        'records', ['record_id', 'source_system', 'first_seen_at', 'last_seen_at', 'row_count']
    ) }}

),

-- a CRM contact's first name (one contact, one record): the bridges count the names a
-- cluster's parts hold
contact_names as (

    select
        {{ chorus_node_id("'contact_id'", 'contact_id') }} as node_id,
        max(first_name) as first_name
    from named_records
    group by 1

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
        -- a sum of BIGINTs is a HUGEINT in DuckDB (float64 in pandas)
        cast(sum(row_count) as bigint) as occurrences,
        min(first_seen_at) as first_seen_at,
        -- in use since: a CRM contact shows its values as of its last update
        min(case when source_system = 'crm' then last_seen_at else first_seen_at end)
            as first_active_at,
        max(last_seen_at) as last_seen_at,
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

-- for each limited value: the distinct non-junk values of each counted type on its
-- records, by node_id (integers joined and counted, not strings), and the distinct
-- first names of its CRM contacts (a trait: hashed like a node, never one)
linked as (

    select distinct
        subject.node_id,
        subject.identifier_type,
        limits.counted_type,
        counted.node_id as counted_node_id
    from region_nodes as subject
    inner join limits
        on
            subject.identifier_type = limits.identifier_type
            -- traits are not on the records' identifiers (the next select counts them)
            and limits.counted_type not in ('{{ chorus_identity_traits() | join("', '") }}')
    inner join record_identifiers as counted
        on
            subject.record_id = counted.record_id
            and limits.counted_type = counted.identifier_type
    left join known_junk
        on counted.node_id = known_junk.node_id
    where known_junk.node_id is null
    union all
    select distinct
        subject.node_id,
        subject.identifier_type,
        limits.counted_type,
        {{ chorus_node_id("'first_name'", 'named.first_name') }} as counted_node_id
    from region_nodes as subject
    inner join limits
        on
            subject.identifier_type = limits.identifier_type
            and limits.counted_type = 'first_name'
    inner join named_records as named
        on subject.record_id = named.record_id

),

linked_counts as (

    select
        linked.node_id,
        linked.counted_type,
        limits.max_at_once,
        limits.max_over_time,
        limits.handover_days,
        count(*) as linked_values
    from linked
    inner join limits
        on
            linked.identifier_type = limits.identifier_type
            and linked.counted_type = limits.counted_type
    group by 1, 2, 3, 4, 5

),

-- the counted values of a limit judged by time (more than may be in use at once, no
-- more than may be seen over time), with when each was in use: as recomputed here, or
-- as stored for one this batch did not recompute (its records did not change)
timed_values as (

    select
        linked.node_id,
        linked.counted_type,
        linked.counted_node_id,
        linked_counts.handover_days,
        {% if region is not none -%}
            coalesce(fresh.first_active_at, stored.first_active_at) as first_active_at,
            coalesce(fresh.last_seen_at, stored.last_seen_at) as last_active_at
        {%- else -%}
            fresh.first_active_at,
            fresh.last_seen_at as last_active_at
        {%- endif %}
    from linked
    inner join linked_counts
        on
            linked.node_id = linked_counts.node_id
            and linked.counted_type = linked_counts.counted_type
    left join observed as fresh
        on linked.counted_node_id = fresh.node_id
    {% if region is not none -%}
        left join {{ this }} as stored
            on linked.counted_node_id = stored.node_id
    {%- endif %}
    where
        linked_counts.linked_values > linked_counts.max_at_once
        and linked_counts.linked_values <= linked_counts.max_over_time

),

at_once as (

    {{ chorus_values_at_once('timed_values', ['node_id', 'counted_type']) }}

),

limit_checks as (

    select
        linked_counts.node_id,
        linked_counts.counted_type,
        linked_counts.linked_values,
        linked_counts.max_at_once,
        linked_counts.max_over_time,
        at_once.values_at_once,
        {{ chorus_limit_breach_columns('linked_counts.linked_values', 'at_once.values_at_once') }}
    from linked_counts
    left join at_once
        on
            linked_counts.node_id = at_once.node_id
            and linked_counts.counted_type = at_once.counted_type

),

over_limit as (

    select
        node_id,
        {{ chorus_limit_breaches('seen with ') }} as shared_reason
    from limit_checks
    where breach_values is not null
    group by 1

),

-- values whose verdict depended on when their counted values were in use
judged_by_time as (

    select distinct node_id
    from limit_checks
    where values_at_once is not null

),

flagged as (

    select
        observed.node_id,
        observed.identifier_type,
        observed.identifier_value,
        observed.first_seen_at,
        observed.first_active_at,
        observed.last_seen_at,
        contact_names.first_name,
        observed.occurrences,
        observed.record_count,
        case
            when observed.identifier_type = 'email'
                then {{ chorus_sha256('observed.identifier_value') }}
        end as email_sha256,
        junk.junk_reason,
        case when junk.junk_reason is null then over_limit.shared_reason end as shared_reason,
        judged_by_time.node_id is not null as is_judged_by_time
    from observed
    left join junk
        on observed.node_id = junk.node_id
    left join over_limit
        on observed.node_id = over_limit.node_id
    left join judged_by_time
        on observed.node_id = judged_by_time.node_id
    left join contact_names
        on observed.node_id = contact_names.node_id

),

-- a hashed email inherits the verdict on the email it hashes, when that email is known
inherited as (

    select
        flagged.node_id,
        flagged.identifier_type,
        flagged.identifier_value,
        flagged.first_seen_at,
        flagged.first_active_at,
        flagged.last_seen_at,
        flagged.first_name,
        flagged.occurrences,
        flagged.record_count,
        flagged.email_sha256,
        flagged.is_judged_by_time,
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
        flags.first_active_at,
        flags.last_seen_at,
        flags.first_name,
        flags.occurrences,
        flags.record_count,
        flags.email_sha256,
        flags.is_junk,
        flags.junk_reason,
        flags.is_shared,
        flags.shared_reason,
        flags.is_judged_by_time,
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
