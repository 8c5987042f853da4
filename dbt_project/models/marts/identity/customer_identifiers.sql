-- One row per normalized identifier seen in any source: the customer it belongs to
-- (null for shared and junk values, which link nobody), whether it is shared or junk
-- and why, and when and how often it was seen. The identity graph's answer
-- (docs/marts.md); how ids are chosen: int_identity_customer_ids.
--
-- The graph's node_id is internal (docs/DECISIONS.md "Customers an analyst can count"):
-- the public key is (identifier_type, identifier_value); the intermediate models keep
-- node_id for their integer joins.
-- Batched (macros/identity/chorus_identity_batch.sql): an incremental batch rewrites the
-- rows of the identifiers it recomputed and of the customers it re-resolved (a pre-hook
-- deletes them first); resolved_as_of and resolved_batch_id say which batch last wrote a
-- row (the engagement models read the identifiers rewritten since their last build). The
-- region is a set of node_ids, so the pre-hook finds a stored row's node by hashing its
-- type and value (chorus_node_id, as every model does): that also reaches an identifier
-- no longer in int_identity_identifiers (left on no record), which a lookup there would
-- miss.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    chorus_identity_batched=true,
    pre_hook="{{ chorus_identity_replace_region(
        chorus_node_id('identifier_type', 'identifier_value')
        ~ ' in (select node_id from {region})', batch_column=false) }}",
    post_hook="{{ chorus_identity_progress() }}",
) }}

{% set region = chorus_identity_region(
    "select node_id from " ~ chorus_identity_region_relation(ref('int_identity_identifiers'))
    ~ " union select node_id from " ~ chorus_identity_region_relation(ref('int_identity_customer_ids'))
) %}

with

identifiers as (

    select * from {{ ref('int_identity_identifiers') }}
    {% if region is not none -%}
        where node_id in (select node_id from {{ region }})
    {%- endif %}

),

bridges as (

    select * from {{ ref('int_identity_bridges') }}

),

customer_ids as (

    select * from {{ ref('int_identity_customer_ids') }}
    {% if region is not none -%}
        where node_id in (select node_id from {{ region }})
    {%- endif %}

),

-- a bridge (int_identity_bridges) is shared too: it would link several customers
flagged as (

    select
        identifiers.node_id,
        identifiers.identifier_type,
        identifiers.identifier_value,
        identifiers.is_junk,
        identifiers.first_seen_at,
        identifiers.last_seen_at,
        identifiers.occurrences,
        identifiers.is_shared or coalesce(bridges.is_bridge, false) as is_shared,
        coalesce(
            identifiers.junk_reason,
            identifiers.shared_reason,
            case when bridges.is_bridge then bridges.bridge_reason end
        ) as flag_reason
    from identifiers
    left join bridges
        on identifiers.node_id = bridges.node_id

),

final as (

    select
        flagged.identifier_type,
        flagged.identifier_value,
        customer_ids.customer_id,
        flagged.is_shared,
        flagged.is_junk,
        flagged.flag_reason,
        flagged.first_seen_at,
        flagged.last_seen_at,
        cast(flagged.occurrences as bigint) as occurrences,
        {{ chorus_as_of() }} as resolved_as_of,
        cast({{ chorus_identity_batch()['batch_id'] }} as integer) as resolved_batch_id
    from flagged
    left join customer_ids
        on flagged.node_id = customer_ids.node_id

)

select * from final
