-- One row per customer_id that disappeared between two runs, and the id its identifiers
-- belong to now. change_type 'merged': that id existed before (two customers became
-- one; the older anchor's id survives); 'replaced': it is new (the cluster lost its
-- anchor, e.g. the anchor became shared). Append-only: a `--full-refresh` keeps the
-- history (full_refresh: false).
--
-- The previous run's assignment is the customer_identifiers mart, read here before it
-- is replaced: customer_identifiers declares `depends_on` this model, so dbt builds this
-- one first, and it is located through the graph rather than ref() (which would be a
-- cycle). On the first run there is no previous mart and nothing is recorded.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    full_refresh=false,
) }}

{% set previous_map = none %}
{% set previous_has_as_of = false %}
{% if execute %}
    {% set map_node = graph.nodes.get('model.' ~ project_name ~ '.customer_identifiers') %}
    {% if map_node %}
        {% set previous_map = adapter.get_relation(
            database=map_node.database, schema=map_node.schema, identifier=map_node.alias
        ) %}
    {% endif %}
    {% if previous_map is not none %}
        {# a mart built before resolved_as_of existed has no as_of to report #}
        {% set previous_has_as_of = 'resolved_as_of' in (
            adapter.get_columns_in_relation(previous_map) | map(attribute='name') | map('lower') | list
        ) %}
    {% endif %}
{% endif %}

with

current_ids as (

    select * from {{ ref('int_identity_customer_ids') }}

),

previous_ids as (

    {% if previous_map is not none %}
        select
            identifier_type,
            identifier_value,
            customer_id,
            {{ 'resolved_as_of' if previous_has_as_of else 'cast(null as ' ~ dbt.type_timestamp() ~ ')' }}
                as assigned_as_of
        from {{ previous_map }}
        where customer_id is not null
    {% else %}
        -- no previous build: an empty map of the same shape
        select
            cast(null as {{ dbt.type_string() }}) as identifier_type,
            cast(null as {{ dbt.type_string() }}) as identifier_value,
            customer_id,
            cast(null as {{ dbt.type_timestamp() }}) as assigned_as_of
        from current_ids
        where 1 = 0
    {% endif %}

),

current_customers as (

    select distinct customer_id
    from current_ids

),

previous_customers as (

    select
        customer_id,
        max(assigned_as_of) as previous_as_of
    from previous_ids
    group by 1

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
        count(*) as identifiers_moved
    from previous_ids
    inner join vanished_customers
        on previous_ids.customer_id = vanished_customers.customer_id
    inner join current_ids
        on
            {{ chorus_node_id('previous_ids.identifier_type', 'previous_ids.identifier_value') }}
            = current_ids.node_id
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
