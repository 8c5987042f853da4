{#-
    Aggregate: any one non-null value of `expression` in the group. For a group known to
    hold one value (a message's single send event), the cheapest aggregate that returns
    it: DuckDB's any_value keeps the first value it meets, where min() compares every
    value (measured on 17M message events: a third of the aggregate's time). PostgreSQL
    before 16 has no any_value, so min(); Spark has any_value.
-#}
{% macro chorus_any_value(expression) -%}
    {{ return(adapter.dispatch('chorus_any_value', 'chorus')(expression)) }}
{%- endmacro %}

{% macro default__chorus_any_value(expression) -%}
    min({{ expression }})
{%- endmacro %}

{% macro duckdb__chorus_any_value(expression) -%}
    any_value({{ expression }})
{%- endmacro %}

{% macro spark__chorus_any_value(expression) -%}
    any_value({{ expression }})
{%- endmacro %}
