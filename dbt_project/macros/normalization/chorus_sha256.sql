{#-
    Lowercase hex SHA-256 of a string (64 characters), the form ad platforms expect for
    hashed emails. dbt.hash() is MD5, so this one is dispatched per engine.
-#}
{% macro chorus_sha256(expression) -%}
    {{ return(adapter.dispatch('chorus_sha256', 'chorus')(expression)) }}
{%- endmacro %}

{#- Snowflake, Databricks, MySQL spell it sha2(x, 256) -#}
{% macro default__chorus_sha256(expression) -%}
    sha2({{ expression }}, 256)
{%- endmacro %}

{% macro duckdb__chorus_sha256(expression) -%}
    sha256({{ expression }})
{%- endmacro %}

{% macro postgres__chorus_sha256(expression) -%}
    encode(sha256(convert_to({{ expression }}, 'UTF8')), 'hex')
{%- endmacro %}

{% macro spark__chorus_sha256(expression) -%}
    sha2({{ expression }}, 256)
{%- endmacro %}
