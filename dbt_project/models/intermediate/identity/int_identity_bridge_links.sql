-- One row per (link, identifier) inside a suspect draft cluster: the evidence that
-- int_identity_bridges re-examines. A link is a source record (link_source 'record')
-- or an email with its SHA-256 ('hash'); it holds its identifiers together.
--
-- The record-level limits of int_identity_identifiers miss a shared value whose
-- evidence is spread over several records: a household email seen with one member's
-- phone on a CRM record and with the other member's account at a login; a shop
-- tablet that, in a small shop, saw only two shoppers. Such a value leaves a draft
-- cluster that breaks a limit of identity_rules as a whole (two accounts, two phones in
-- use at once). Only those suspect clusters are examined. Candidates are identifiers of a
-- limited type that appear on two or more links (one on a single link cannot hold
-- anything together).
-- Clusters above var chorus_identity_bridge_max_cluster_size identifiers are skipped:
-- the work grows with the square of a cluster's size; they keep their draft shape.
--
-- Batched (macros/identity/chorus_identity_batch.sql): an incremental batch re-examines
-- the clusters int_identity_components recomputed (its region), whose links may have
-- changed, and the clusters holding a value of a counted type that
-- int_identity_identifiers recomputed, whose use in time (hence the verdict) may have.
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
{% set components = ref('int_identity_components') %}
{% set region = chorus_identity_region(
    "with timed as ("
    ~ " select node_id from " ~ ref('int_identity_identifiers')
    ~ " where node_id in (select node_id from "
    ~ chorus_identity_region_relation(ref('int_identity_identifiers')) ~ ")"
    ~ " and identifier_type in (select counted_type from " ~ ref('int_identity_limits')
    ~ " where max_over_time > max_at_once))"
    ~ " select node_id from " ~ chorus_identity_region_relation(components)
    ~ " union select node_id from " ~ components ~ " where component_id in ("
    ~ " select component_id from " ~ components
    ~ " where node_id in (select node_id from timed))"
) %}

with

record_identifiers as (

    select * from {{ ref('int_identity_record_identifiers') }}

),

identifiers as (

    select * from {{ ref('int_identity_identifiers') }}

),

draft_components as (

    select * from {{ ref('int_identity_components') }}
    {% if region is not none -%}
        where node_id in (select node_id from {{ region }})
    {%- endif %}

),

limits as (

    select * from {{ ref('int_identity_limits') }}

),

nodes as (

    select
        draft_components.node_id,
        draft_components.component_id,
        identifiers.identifier_type,
        identifiers.identifier_value,
        identifiers.priority,
        identifiers.email_sha256,
        identifiers.first_active_at,
        identifiers.last_seen_at as last_active_at,
        identifiers.first_name
    from draft_components
    inner join identifiers
        on draft_components.node_id = identifiers.node_id

),

-- values per (cluster, type), and the distinct first names of its CRM contacts (a trait
-- identity_rules may count, chorus_identity_traits)
type_counts as (

    select
        component_id,
        identifier_type,
        count(*) as node_count
    from nodes
    group by 1, 2
    union all
    select
        component_id,
        'first_name' as identifier_type,
        count(distinct first_name) as node_count
    from nodes
    where first_name is not null
    group by 1

),

component_sizes as (

    select
        component_id,
        count(*) as node_count
    from nodes
    group by 1

),

-- per cluster, the limits of identity_rules it could break as a whole: a limited type
-- it holds, and more values of a type that limit counts than may be in use at once
cluster_limits as (

    select
        subject.component_id,
        limits.identifier_type,
        limits.counted_type,
        limits.max_at_once,
        limits.max_over_time,
        limits.handover_days,
        counted.node_count
    from type_counts as subject
    inner join limits
        on subject.identifier_type = limits.identifier_type
    inner join type_counts as counted
        on
            subject.component_id = counted.component_id
            and limits.counted_type = counted.identifier_type
    where counted.node_count > limits.max_at_once

),

-- the counted values of those, when each was in use (the rule of int_identity_identifiers
-- applied to the whole cluster: a person's old and new number never break it)
cluster_values as (

    select
        cluster_limits.component_id,
        cluster_limits.identifier_type,
        cluster_limits.counted_type,
        cluster_limits.handover_days,
        nodes.first_active_at,
        nodes.last_active_at
    from cluster_limits
    inner join nodes
        on
            cluster_limits.component_id = nodes.component_id
            and cluster_limits.counted_type = nodes.identifier_type
    where cluster_limits.node_count <= cluster_limits.max_over_time

),

cluster_at_once as (

    {{ chorus_values_at_once(
        'cluster_values', ['component_id', 'identifier_type', 'counted_type']
    ) }}

),

-- a suspect cluster breaks a limit: more counted values than max_over_time, or more than
-- max_at_once in use at one time (int_identity_bridges looks for the value to blame)
violating_components as (

    select distinct cluster_limits.component_id
    from cluster_limits
    left join cluster_at_once
        on
            cluster_limits.component_id = cluster_at_once.component_id
            and cluster_limits.identifier_type = cluster_at_once.identifier_type
            and cluster_limits.counted_type = cluster_at_once.counted_type
    where
        cluster_limits.node_count > cluster_limits.max_over_time
        or cluster_at_once.values_at_once > cluster_limits.max_at_once

),

suspect_nodes as (

    select nodes.*
    from nodes
    inner join violating_components
        on nodes.component_id = violating_components.component_id
    inner join component_sizes
        on nodes.component_id = component_sizes.component_id
    where
        component_sizes.node_count
        <= {{ var('chorus_identity_bridge_max_cluster_size', 1000) | int }}

),

record_links as (

    select
        'record' as link_source,
        record_identifiers.record_id as link_id,
        suspect_nodes.node_id,
        suspect_nodes.component_id,
        suspect_nodes.identifier_type,
        suspect_nodes.priority,
        suspect_nodes.first_name
    from record_identifiers
    inner join suspect_nodes
        on record_identifiers.node_id = suspect_nodes.node_id

),

hash_pairs as (

    select
        email_nodes.node_id as email_node_id,
        hash_nodes.node_id as hash_node_id
    from suspect_nodes as email_nodes
    inner join suspect_nodes as hash_nodes
        on email_nodes.email_sha256 = hash_nodes.identifier_value
    where
        email_nodes.identifier_type = 'email'
        and hash_nodes.identifier_type = 'email_sha256'

),

-- an email and its hash form a link of two, named after the email's node
hash_links as (

    select
        'hash' as link_source,
        hash_pairs.email_node_id as link_id,
        suspect_nodes.node_id,
        suspect_nodes.component_id,
        suspect_nodes.identifier_type,
        suspect_nodes.priority,
        suspect_nodes.first_name
    from hash_pairs
    inner join suspect_nodes
        on suspect_nodes.node_id in (hash_pairs.email_node_id, hash_pairs.hash_node_id)

),

links as (

    select * from record_links
    union all
    select * from hash_links

),

link_counts as (

    select
        node_id,
        count(*) as link_count
    from links
    group by 1

),

limited_types as (

    select distinct identifier_type
    from limits

),

final as (

    select
        links.link_source,
        links.link_id,
        links.node_id,
        links.component_id,
        links.identifier_type,
        links.priority,
        links.first_name,
        (
            link_counts.link_count >= 2 and limited_types.identifier_type is not null
        ) as is_candidate,
        {{ batch['batch_id'] }} as batch_id
    from links
    inner join link_counts
        on links.node_id = link_counts.node_id
    left join limited_types
        on links.identifier_type = limited_types.identifier_type

)

select * from final
