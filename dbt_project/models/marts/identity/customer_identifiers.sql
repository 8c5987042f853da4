-- One row per normalized identifier seen in any source: the customer it belongs to
-- (null for shared and junk values, which link nobody), whether it is shared or junk
-- and why, and when and how often it was seen. The identity graph's answer (SPEC
-- "customer_identifiers"); how ids are chosen: int_identity_customer_ids.
--
-- identity_merges reads the previous build of this table to see which ids merged, so
-- this model builds after it (the line below tells dbt; a ref there would be a cycle):
-- depends_on: {{ ref('identity_merges') }}
with

identifiers as (

    select * from {{ ref('int_identity_identifiers') }}

),

bridges as (

    select * from {{ ref('int_identity_bridges') }}

),

customer_ids as (

    select * from {{ ref('int_identity_customer_ids') }}

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
        flagged.occurrences,
        {{ chorus_as_of() }} as resolved_as_of
    from flagged
    left join customer_ids
        on flagged.node_id = customer_ids.node_id

)

select * from final
