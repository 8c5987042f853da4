{#-
    An 8-byte floating-point type. dbt.type_float() renders FLOAT, which is a 4-byte
    REAL on DuckDB (sentiment -0.8 would read back as -0.800000011920929).
-#}
{% macro chorus_type_double() -%}
    {{ return(adapter.dispatch('chorus_type_double', 'chorus')()) }}
{%- endmacro %}

{% macro default__chorus_type_double() -%}
    double precision
{%- endmacro %}

{% macro spark__chorus_type_double() -%}
    double
{%- endmacro %}
