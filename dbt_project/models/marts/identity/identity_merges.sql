-- One row per customer_id that disappeared between two identity batches, and the id its
-- identifiers belong to now. change_type 'merged': that id existed before (two customers
-- became one; the older anchor's id survives); 'replaced': it is new (the cluster lost
-- its anchor, e.g. the anchor became shared). Append-only: a `--full-refresh` keeps the
-- history (full_refresh: false).
--
-- The previous assignment is the region of int_identity_customer_ids
-- (previous_customer_id): in an incremental batch the identifiers it re-resolved, whole
-- customers before and after; in a full batch every identifier it held before. An id
-- that vanished did so inside that region. On the first build there is none and
-- nothing is recorded.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    full_refresh=false,
) }}

{% set batch = chorus_identity_batch() %}
{% set previous_map = none %}
{% if chorus_is_building() %}
    {% set previous_map = load_relation(chorus_identity_region_relation(ref('int_identity_customer_ids'))) %}
{% endif %}

with

previous_ids as (

    {% if previous_map is not none %}
        select
            node_id,
            previous_customer_id as customer_id
        from {{ previous_map }}
        where previous_customer_id is not null
    {% else %}
        -- no previous build: an empty map of the same shape
        select
            node_id,
            customer_id
        from {{ ref('int_identity_customer_ids') }}
        where 1 = 0
    {% endif %}

),

current_ids as (

    select * from {{ ref('int_identity_customer_ids') }}
    {% if previous_map is not none -%}
        where node_id in (select node_id from {{ previous_map }})
    {%- endif %}

),

current_customers as (

    select distinct customer_id
    from current_ids

),

previous_customers as (

    select distinct
        customer_id,
        {{ batch['previous_as_of'] or chorus_identity_timestamp(none) }} as previous_as_of
    from previous_ids

),

vanished_customers as (

    select
        previous_customers.customer_id,
        previous_customers.previous_as_of
    from previous_customers
    left join current_customers
        on previous_customers.customer_id = current_customers.customer_id
    where current_customers.customer_id is null

),

-- where the identifiers of each vanished id went
identifier_moves as (

    select
        previous_ids.customer_id as merged_customer_id,
        current_ids.customer_id as surviving_customer_id,
        cast(count(*) as bigint) as identifiers_moved
    from previous_ids
    inner join vanished_customers
        on previous_ids.customer_id = vanished_customers.customer_id
    inner join current_ids
        on previous_ids.node_id = current_ids.node_id
    group by 1, 2

),

-- the id that took most of them (a vanished id whose identifiers all became shared or
-- junk went nowhere and is not recorded)
ranked_moves as (

    select
        merged_customer_id,
        surviving_customer_id,
        identifiers_moved,
        row_number() over (
            partition by merged_customer_id
            order by identifiers_moved desc, surviving_customer_id asc
        ) as move_rank
    from identifier_moves

),

detected_merges as (

    select
        ranked_moves.merged_customer_id,
        ranked_moves.surviving_customer_id,
        case
            when previous_customers.customer_id is not null then 'merged' else 'replaced'
        end as change_type,
        ranked_moves.identifiers_moved,
        vanished_customers.previous_as_of,
        {{ chorus_as_of() }} as merged_at,
        '{{ invocation_id }}' as dbt_invocation_id
    from ranked_moves
    inner join vanished_customers
        on ranked_moves.merged_customer_id = vanished_customers.customer_id
    left join previous_customers
        on ranked_moves.surviving_customer_id = previous_customers.customer_id
    where ranked_moves.move_rank = 1

),

final as (

    select detected_merges.*
    from detected_merges
    {% if is_incremental() %}
        -- a rerun after a failed build does not record the same merge twice
        left join {{ this }} as recorded
            on
                detected_merges.merged_customer_id = recorded.merged_customer_id
                and detected_merges.surviving_customer_id = recorded.surviving_customer_id
        where recorded.merged_customer_id is null
    {% endif %}

)

select * from final
