{#-
    Replace every match of a regular expression. Engines differ: DuckDB and PostgreSQL
    replace only the first match unless given the 'g' flag; Spark, Snowflake and
    BigQuery replace all. Keep patterns free of backslashes (use [^0-9], not \D): Spark
    string literals treat a backslash as an escape character.
-#}
{% macro chorus_regexp_replace_all(expression, pattern, replacement) -%}
    {{ return(adapter.dispatch('chorus_regexp_replace_all', 'chorus')(expression, pattern, replacement)) }}
{%- endmacro %}

{% macro default__chorus_regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}

{% macro duckdb__chorus_regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{% macro postgres__chorus_regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{% macro spark__chorus_regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}
