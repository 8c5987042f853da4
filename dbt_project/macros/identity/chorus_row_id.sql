{#-
    A unique integer per row of the select it appears in, with no meaning beyond that
    select (not stable across runs, not necessarily consecutive). Only use it in a model
    materialized as a table, so every reader sees the same numbering.
    row_number() needs an ORDER BY on Spark, which would pull every row into one
    partition; Spark gets monotonically_increasing_id() instead.
-#}
{% macro chorus_row_id() -%}
    {{ return(adapter.dispatch('chorus_row_id', 'chorus')()) }}
{%- endmacro %}

{% macro default__chorus_row_id() -%}
    row_number() over ()
{%- endmacro %}

{% macro spark__chorus_row_id() -%}
    monotonically_increasing_id()
{%- endmacro %}
