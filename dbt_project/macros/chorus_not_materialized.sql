{#-
    CTE keyword, written between `as` and the CTE's parenthesis: asks the engine to
    run the CTE inside each query part that reads it instead of keeping a copy of its
    rows. DuckDB otherwise copies a CTE read by two parts of a query, even one that only
    filters a table: at 1M customers, contacts kept 17.5M event rows (21-23 s and 9 GB
    against 19.3 s and 5.7 GB) and int_decision_scored 7M channel rows for a second
    reader, where reading the table again costs a scan. Use it on CTEs that read stored
    tables, not on ones that compute much. PostgreSQL (12+) has the same keyword; Spark
    has none and plans CTEs as views (nothing to do).
-#}
{% macro chorus_not_materialized() -%}
    {{ return(adapter.dispatch('chorus_not_materialized', 'chorus')()) }}
{%- endmacro %}

{% macro default__chorus_not_materialized() -%}
    not materialized
{%- endmacro %}

{% macro spark__chorus_not_materialized() -%}
{%- endmacro %}
