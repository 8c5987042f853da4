-- One row per candidate bridge (int_identity_bridge_links): whether the identifier is
-- shared because it alone would link several customers. Take it out of its suspect
-- cluster (int_identity_bridge_edges): the cluster falls into parts. It is a bridge when
--   1. the parts holding the identifiers seen with it on its own links break a limit of
--      its type (identity_rules) together, and no one of them breaks any alone: they hold
--      more values of a counted type than max_over_time, more than the largest part;
--      or more than max_at_once of them hold such values in use at one time (a part is
--      in use from its values' first use to their last, chorus_values_at_once), so a
--      person who changed number, split by the candidate into the customer of the old
--      number and the customer of the new one, is not two customers; and
--   2. on its own links it was seen with values of its counted types in at least two
--      of those parts: it met both customers itself, rather than lying on the path
--      between them (a person's own email next to a shop tablet is not blamed for
--      what the tablet joins).
-- A household email seen with one member's phone and the other member's account is the
-- case this is for. A suspect cluster that no candidate explains so (a household email on
-- one member's contact and on a guest order from the other member's browser: the email
-- met one member's phone, the browser the other's account, neither met both) blames the
-- least trusted candidates that break condition 1 (highest identity_rules priority): the
-- browser here; a shop tablet, not the shopper's own email, in the same shape. Where two
-- of the same type tie (the household email and the other member's own email, each on
-- the one path between them), both are held back: the evidence cannot tell which of them
-- joins two people, so neither is trusted to. Two
-- values that each join the same parts (redundant bridges) are not found this way;
-- those customers stay merged.
{{ config(
    materialized='table',
    post_hook="{{ chorus_connected_components_drop() }}",
) }}

-- each candidate's copy of its cluster, split into parts (unrolled_rounds: only for unit
-- tests, whose copies of a household converge in one round; Spark inlines the rounds
-- into each of this model's reads of the parts, and two ran it out of memory)
{% set parts = chorus_connected_components(
    ref('int_identity_bridge_edges'), 'copy_node_id_a', 'copy_node_id_b', unrolled_rounds=1
) %}

with

bridge_links as (

    select * from {{ ref('int_identity_bridge_links') }}

),

bridge_edges as (

    select * from {{ ref('int_identity_bridge_edges') }}

),

limits as (

    select * from {{ ref('int_identity_limits') }}

),

identifiers as (

    select * from {{ ref('int_identity_identifiers') }}

),

copy_parts as (

    {{ parts.sql }}

),

candidates as (

    select distinct
        node_id,
        component_id,
        identifier_type,
        priority
    from bridge_links
    where is_candidate

),

-- what each examined identifier counts as: its type (one value: the node), and for a CRM
-- contact with a name also a first name (the value: the name), so a part holding two
-- contacts of one name holds one first name
node_types as (

    select distinct
        node_id,
        identifier_type,
        node_id as value_key
    from bridge_links
    union all
    select distinct
        node_id,
        'first_name' as identifier_type,
        {{ chorus_node_id("'first_name'", 'first_name') }} as value_key
    from bridge_links
    where first_name is not null

),

-- identifiers seen on a link with the candidate
co_members as (

    select distinct
        candidate_links.node_id as candidate_node_id,
        members.node_id
    from bridge_links as candidate_links
    inner join bridge_links as members
        on
            candidate_links.link_source = members.link_source
            and candidate_links.link_id = members.link_id
            and candidate_links.node_id <> members.node_id
    where candidate_links.is_candidate

),

edge_endpoints as (

    select distinct
        candidate_node_id,
        node_id,
        copy_node_id
    from (
        select
            candidate_node_id,
            node_id_a as node_id,
            copy_node_id_a as copy_node_id
        from bridge_edges
        union all
        select
            candidate_node_id,
            node_id_b as node_id,
            copy_node_id_b as copy_node_id
        from bridge_edges
    ) as endpoints

),

-- a co-member left with no edge in the copy is a part of its own (negative ids never
-- clash with a part id, which is a copy node id)
node_parts as (

    select
        edge_endpoints.candidate_node_id,
        edge_endpoints.node_id,
        copy_parts.component_id as part_id
    from edge_endpoints
    inner join copy_parts
        on edge_endpoints.copy_node_id = copy_parts.node_id
    union all
    select
        co_members.candidate_node_id,
        co_members.node_id,
        -co_members.node_id as part_id
    from co_members
    left join edge_endpoints
        on
            co_members.candidate_node_id = edge_endpoints.candidate_node_id
            and co_members.node_id = edge_endpoints.node_id
    where edge_endpoints.node_id is null

),

co_member_parts as (

    select
        co_members.candidate_node_id,
        co_members.node_id,
        node_parts.part_id
    from co_members
    inner join node_parts
        on
            co_members.candidate_node_id = node_parts.candidate_node_id
            and co_members.node_id = node_parts.node_id

),

touched_parts as (

    select distinct
        candidate_node_id,
        part_id
    from co_member_parts

),

-- what each touched part holds, as the values it counts as (node_types)
touched_values as (

    select
        node_parts.candidate_node_id,
        node_parts.part_id,
        node_parts.node_id,
        node_types.identifier_type,
        node_types.value_key
    from node_parts
    inner join touched_parts
        on
            node_parts.candidate_node_id = touched_parts.candidate_node_id
            and node_parts.part_id = touched_parts.part_id
    inner join node_types
        on node_parts.node_id = node_types.node_id

),

part_type_counts as (

    select
        candidate_node_id,
        part_id,
        identifier_type,
        count(distinct value_key) as value_count
    from touched_values
    group by 1, 2, 3

),

-- condition 2: parts in which the candidate itself met a value of a counted type
evidence_parts as (

    select
        candidates.node_id,
        count(distinct co_member_parts.part_id) as parts_met
    from candidates
    inner join co_member_parts
        on candidates.node_id = co_member_parts.candidate_node_id
    inner join node_types
        on co_member_parts.node_id = node_types.node_id
    inner join limits
        on
            candidates.identifier_type = limits.identifier_type
            and node_types.identifier_type = limits.counted_type
    group by 1

),

-- distinct values of each type over the touched parts together (a first name may be in
-- two parts: it counts once)
touched_type_counts as (

    select
        candidate_node_id,
        identifier_type,
        count(distinct value_key) as value_count
    from touched_values
    group by 1, 2

),

-- a candidate is not blamed for a limit a touched part breaks on its own (more values of
-- a counted type than max_over_time): the two people are inside that part, joined by
-- something else
unclean_candidates as (

    select distinct part_type_counts.candidate_node_id
    from part_type_counts
    inner join candidates
        on part_type_counts.candidate_node_id = candidates.node_id
    inner join limits
        on
            candidates.identifier_type = limits.identifier_type
            and part_type_counts.identifier_type = limits.counted_type
    where part_type_counts.value_count > limits.max_over_time

),

-- condition 1, per counted type: values over the touched parts and in the largest one
linked_values as (

    select
        candidates.node_id,
        limits.counted_type,
        limits.max_at_once,
        limits.max_over_time,
        touched_type_counts.value_count as linked_values,
        max(part_type_counts.value_count) as largest_part_values
    from candidates
    inner join limits
        on candidates.identifier_type = limits.identifier_type
    inner join part_type_counts
        on
            candidates.node_id = part_type_counts.candidate_node_id
            and limits.counted_type = part_type_counts.identifier_type
    inner join touched_type_counts
        on
            candidates.node_id = touched_type_counts.candidate_node_id
            and limits.counted_type = touched_type_counts.identifier_type
    left join unclean_candidates
        on candidates.node_id = unclean_candidates.candidate_node_id
    where unclean_candidates.candidate_node_id is null
    group by 1, 2, 3, 4, 5

),

-- when each touched part was in use, per counted type: from the first use of its values
-- of that type to the last
part_activity as (

    select
        touched_values.candidate_node_id as node_id,
        touched_values.identifier_type as counted_type,
        touched_values.part_id,
        limits.handover_days,
        min(identifiers.first_active_at) as first_active_at,
        max(identifiers.last_seen_at) as last_active_at
    from touched_values
    inner join candidates
        on touched_values.candidate_node_id = candidates.node_id
    inner join limits
        on
            candidates.identifier_type = limits.identifier_type
            and touched_values.identifier_type = limits.counted_type
    inner join identifiers
        on touched_values.node_id = identifiers.node_id
    group by 1, 2, 3, 4

),

parts_at_once as (

    {{ chorus_values_at_once('part_activity', ['node_id', 'counted_type']) }}

),

-- a breach of the over-time bound must be more than the largest part holds alone
limit_checks as (

    select
        linked_values.node_id,
        linked_values.counted_type,
        linked_values.max_at_once,
        linked_values.max_over_time,
        {{ chorus_limit_breach_columns(
            'case when linked_values.linked_values > linked_values.largest_part_values'
            ~ ' then linked_values.linked_values else 0 end',
            'parts_at_once.values_at_once',
        ) }}
    from linked_values
    left join parts_at_once
        on
            linked_values.node_id = parts_at_once.node_id
            and linked_values.counted_type = parts_at_once.counted_type

),

over_limit as (

    select
        node_id,
        {{ chorus_limit_breaches('links customers holding ') }} as bridge_reason
    from limit_checks
    where breach_values is not null
    group by 1

),

parts_touched as (

    select
        candidate_node_id,
        count(*) as parts_touched
    from touched_parts
    group by 1

),

verdicts as (

    select
        candidates.node_id,
        candidates.component_id,
        candidates.identifier_type,
        candidates.priority,
        over_limit.bridge_reason,
        coalesce(parts_touched.parts_touched, 0) as parts_touched,
        coalesce(evidence_parts.parts_met, 0) as parts_met,
        (
            over_limit.bridge_reason is not null
            and coalesce(evidence_parts.parts_met, 0) >= 2
        ) as is_direct
    from candidates
    left join parts_touched
        on candidates.node_id = parts_touched.candidate_node_id
    left join evidence_parts
        on candidates.node_id = evidence_parts.node_id
    left join over_limit
        on candidates.node_id = over_limit.node_id

),

-- clusters no candidate explains directly: their least trusted candidate on condition 1
explained_components as (

    select distinct component_id
    from verdicts
    where is_direct

),

fallbacks as (

    select node_id
    from (
        select
            verdicts.node_id,
            rank() over (
                partition by verdicts.component_id
                order by verdicts.priority desc
            ) as blame_rank
        from verdicts
        left join explained_components
            on verdicts.component_id = explained_components.component_id
        where
            verdicts.bridge_reason is not null
            and explained_components.component_id is null
    ) as ranked
    where blame_rank = 1

),

final as (

    select
        verdicts.node_id,
        verdicts.component_id,
        verdicts.identifier_type,
        verdicts.parts_touched,
        verdicts.parts_met,
        verdicts.is_direct or fallbacks.node_id is not null as is_bridge,
        case
            when verdicts.is_direct then verdicts.bridge_reason
            when fallbacks.node_id is not null
                then {{ dbt.concat([
                    'verdicts.bridge_reason',
                    "' (the least trusted value between them: none was seen with both)'",
                ]) }}
        end as bridge_reason,
        {{ parts.rounds if parts.rounds is not none else 'cast(null as integer)' }}
            as convergence_rounds
    from verdicts
    left join fallbacks
        on verdicts.node_id = fallbacks.node_id

)

select * from final
