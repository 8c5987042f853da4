{#-
    True when this invocation builds relations from real tables (run, build, retry,
    show, run-operation), so a model may query the warehouse while it renders. False
    while parsing, compiling, generating docs, linting with sqlfluff and rendering a
    unit test, whose refs are fixture CTEs: SQL must then stand on its own.
-#}
{% macro chorus_is_building() -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- if model is defined and model is not none and model.get('resource_type') == 'unit_test' -%}
        {{ return(false) }}
    {%- endif -%}
    {{ return(flags.WHICH in ['run', 'build', 'retry', 'show', 'run-operation']) }}
{%- endmacro %}


{#-
    The batch log's row this invocation builds, read once per node and invocation:
    `reader(unbuilt)` (a macro) runs the first time a node asks and its answer is kept
    under `cache_name` in dbt's graph; `unbuilt` is the answer while nothing builds.
    The batch models (int_identity_batches, int_engagement_batches) build before any
    reader, so every node of an invocation sees the same batch.
-#}
{% macro chorus_read_batch_once(cache_name, reader, unbuilt) -%}
    {%- if not chorus_is_building() -%}
        {{ return(unbuilt) }}
    {%- endif -%}
    {%- set cache = graph.setdefault(cache_name, {}) -%}
    {%- set key = invocation_id ~ ':' ~ (model['unique_id'] if model is defined and model else '') -%}
    {%- if key not in cache -%}
        {%- do cache.update({key: reader(unbuilt)}) -%}
    {%- endif -%}
    {{ return(cache[key]) }}
{%- endmacro %}


{#- The last batch of `batches` (a batch log) the model being rendered built, or none. -#}
{% macro chorus_last_batch_built(batches) -%}
    {%- set built = run_query(
        "select max(batch_id) from " ~ batches
        ~ " where model_name = '" ~ model['name'] ~ "'"
    ).columns[0].values()[0] -%}
    {{ return(none if built is none else built | int) }}
{%- endmacro %}
