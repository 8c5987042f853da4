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
