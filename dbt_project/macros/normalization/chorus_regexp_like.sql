{#- True when the whole string matches the pattern (anchor the pattern with ^...$). -#}
{% macro chorus_regexp_like(expression, pattern) -%}
    {{ return(adapter.dispatch('chorus_regexp_like', 'chorus')(expression, pattern)) }}
{%- endmacro %}

{#- Snowflake, Oracle, MySQL 8 -#}
{% macro default__chorus_regexp_like(expression, pattern) -%}
    regexp_like({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{% macro duckdb__chorus_regexp_like(expression, pattern) -%}
    regexp_matches({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{% macro postgres__chorus_regexp_like(expression, pattern) -%}
    ({{ expression }} ~ '{{ pattern }}')
{%- endmacro %}

{% macro spark__chorus_regexp_like(expression, pattern) -%}
    ({{ expression }} rlike '{{ pattern }}')
{%- endmacro %}
