{#-
    Run-operation: connected components of any edge table, written to a table, e.g.
      dbt run-operation chorus_connected_components_into \
        --args '{edges: scratch.chain_edges, into: scratch.chain_components}'
    `into` gets (node_id, component_id, convergence_rounds). For tests and benchmarks of
    chorus_connected_components on graphs that are not identity graphs (a long chain).
    edges/into are 'schema.table' in the target database; node_a/node_b name the edge
    columns (default node_id_a, node_id_b).
-#}
{% macro chorus_connected_components_into(edges, into, node_a='node_id_a', node_b='node_id_b') -%}
    {%- set into_parts = into.split('.') -%}
    {%- set target_relation = api.Relation.create(
        database=target.database, schema=into_parts[0], identifier=into_parts[1], type='table'
    ) -%}
    {%- set result = chorus_connected_components(
        edges, node_a=node_a, node_b=node_b, work=target_relation
    ) -%}
    {%- do adapter.drop_relation(target_relation) -%}
    {%- call statement('chorus_cc_into') -%}
        {{ get_create_table_as_sql(False, target_relation,
            'select node_id, component_id, ' ~ result.rounds ~ ' as convergence_rounds from ('
            ~ result.sql ~ ') as components') }}
    {%- endcall -%}
    {%- do chorus_connected_components_drop(target_relation) -%}
    {#- run-operation does not commit on its own -#}
    {%- do adapter.commit() -%}
    {%- do log('chorus_connected_components_into: ' ~ into ~ ' written, '
        ~ result.rounds ~ ' rounds', info=true) -%}
{%- endmacro %}
