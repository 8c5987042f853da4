-- One row per usable identifier (neither junk, shared nor a bridge): its final cluster
-- (int_identity_components, or int_identity_components_resplit where a suspect cluster
-- was split; a lone identifier is its own) and the customer it belongs to. A customer
-- is a cluster of the identity graph; its id is derived from the
-- cluster's anchor, never from node numbering, so it survives full rebuilds:
--   anchor      = the cluster's identifier seen first (first_seen_at), ties broken by
--                 identity_rules priority, then by value;
--   customer_id = 'cus_' || the first 16 hex digits of sha256(type || ':' || value).
-- While a cluster keeps its anchor it keeps its id. When two clusters merge, the
-- merged cluster's anchor is the older of the two anchors, so the older id survives
-- (identity_merges records the other). A lone identifier is its own anchor.
--
-- Batched (macros/identity/chorus_identity_batch.sql): an incremental batch recomputes
-- the customers of the identifiers it touched (recomputed components; identifiers that
-- appeared, disappeared, became usable or unusable or changed first_seen_at; examined
-- suspect clusters): whole draft components and whole stored customers, so each
-- cluster's anchor is chosen among all its identifiers. An identifier seen again
-- (later last_seen_at, more occurrences) changes no customer. The region
-- keeps each identifier's stored customer_id (previous_customer_id); a full batch keeps
-- all of them there: identity_merges compares them with the new ones.
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
{% set region = chorus_identity_region(
    "with touched as ("
    ~ " select node_id from " ~ chorus_identity_region_relation(ref('int_identity_components'))
    ~ " union select node_id from " ~ ref('int_identity_identifiers')
    ~ " where changed_batch_id = " ~ batch['batch_id']
    ~ " union select node_id from " ~ chorus_identity_region_relation(ref('int_identity_identifiers'))
    ~ " where node_id not in (select node_id from " ~ ref('int_identity_identifiers') ~ ")"
    ~ " union select node_id from " ~ ref('int_identity_bridges') ~ "),"
    ~ " region_nodes as ("
    ~ " select node_id from touched"
    ~ " union select node_id from " ~ ref('int_identity_components')
    ~ " where component_id in (select component_id from " ~ ref('int_identity_components')
    ~ " where node_id in (select node_id from touched))"
    ~ " union select node_id from " ~ this
    ~ " where customer_id in (select customer_id from " ~ this
    ~ " where node_id in (select node_id from touched)))"
    ~ " select region_nodes.node_id, stored.customer_id as previous_customer_id"
    ~ " from region_nodes left join " ~ this ~ " as stored"
    ~ " on region_nodes.node_id = stored.node_id",
    full_sql="select node_id, customer_id as previous_customer_id from " ~ this,
) %}

with

identifiers as (

    select * from {{ ref('int_identity_identifiers') }}
    {% if region is not none -%}
        where node_id in (select node_id from {{ region }})
    {%- endif %}

),

components as (

    select * from {{ ref('int_identity_components') }}

),

resplit_components as (

    select * from {{ ref('int_identity_components_resplit') }}

),

bridges as (

    select * from {{ ref('int_identity_bridges') }}

),

usable as (

    select
        identifiers.node_id,
        identifiers.identifier_type,
        identifiers.identifier_value,
        identifiers.priority,
        identifiers.first_seen_at
    from identifiers
    left join bridges
        on
            identifiers.node_id = bridges.node_id
            and bridges.is_bridge
    where
        not identifiers.is_junk
        and not identifiers.is_shared
        and bridges.node_id is null

),

clustered as (

    select
        usable.node_id,
        usable.identifier_type,
        usable.identifier_value,
        usable.priority,
        usable.first_seen_at,
        coalesce(
            resplit_components.component_id, components.component_id, usable.node_id
        ) as component_id
    from usable
    left join components
        on usable.node_id = components.node_id
    left join resplit_components
        on usable.node_id = resplit_components.node_id

),

ranked as (

    select
        node_id,
        component_id,
        identifier_type,
        identifier_value,
        row_number() over (
            partition by component_id
            order by first_seen_at, priority, identifier_value
        ) as anchor_rank
    from clustered

),

anchors as (

    select
        component_id,
        {{ dbt.concat([
            "'cus_'",
            'substr(' ~ chorus_sha256(dbt.concat(['identifier_type', "':'", 'identifier_value'])) ~ ', 1, 16)',
        ]) }} as customer_id
    from ranked
    where anchor_rank = 1

),

-- narrow on purpose (integers and the id): customer_identifiers and identity_merges
-- join it by node_id, and 6M rows of strings cost seconds to write at 1M customers
final as (

    select
        ranked.node_id,
        ranked.component_id,
        anchors.customer_id,
        ranked.anchor_rank = 1 as is_anchor,
        {{ batch['batch_id'] }} as batch_id
    from ranked
    inner join anchors
        on ranked.component_id = anchors.component_id

)

select * from final
