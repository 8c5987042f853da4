-- One row per (record, identifier on it): int_identity_records unpivoted, the shape the
-- identifier table, the shared-value counts and the graph edges all read, with the
-- identifier's node_id (chorus_node_id: a hash of type and value, so no reader joins
-- strings to find a node). A view: unpivoting is cheaper than storing 16M rows.
{{ config(materialized='view') }}

with

records as (

    select * from {{ ref('int_identity_records') }}

),

unpivoted as (

    {% for identifier_type in chorus_identity_types() -%}
        select
            record_id,
            source_system,
            '{{ identifier_type }}' as identifier_type,
            {{ identifier_type }} as identifier_value,
            first_seen_at,
            last_seen_at,
            row_count
        from records
        where {{ identifier_type }} is not null
        {% if not loop.last %}
            union all
        {% endif -%}
    {%- endfor %}

),

final as (

    select
        record_id,
        source_system,
        identifier_type,
        identifier_value,
        {{ chorus_node_id('identifier_type', 'identifier_value') }} as node_id,
        first_seen_at,
        last_seen_at,
        row_count
    from unpivoted

)

select * from final
