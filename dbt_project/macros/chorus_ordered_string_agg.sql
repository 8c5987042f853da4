{#-
    Aggregate: the values of `measure` joined with `delimiter_text`, in the order of the
    `order_by` expressions (ascending, nulls last) and then of the value itself, so the
    text is the same on every engine and every run (a checksum or a reason a marketer
    reads must not change with the plan). dbt.listagg cannot promise it on Spark:
    collect_list keeps no order and dbt-spark ignores the ORDER BY (with a warning).
    Null values are skipped, as string_agg does.

    measure:        SQL expression of the text to join.
    delimiter_text: SQL string literal, e.g. "'; '".
    order_by:       list of SQL expressions.
-#}
{% macro chorus_ordered_string_agg(measure, delimiter_text, order_by=[]) -%}
    {{ return(adapter.dispatch('chorus_ordered_string_agg', 'chorus')(measure, delimiter_text, order_by)) }}
{%- endmacro %}

{#- DuckDB, PostgreSQL, Snowflake, ...: listagg / string_agg with ORDER BY -#}
{% macro default__chorus_ordered_string_agg(measure, delimiter_text, order_by) -%}
    {%- set keys = [] -%}
    {%- for expression in order_by + [measure] -%}
        {%- do keys.append(expression ~ ' nulls last') -%}
    {%- endfor -%}
    {{ dbt.listagg(measure, delimiter_text, 'order by ' ~ keys | join(', ')) }}
{%- endmacro %}

{#-
    Spark: collect the (keys..., value) structs, sort them (structs compare field by
    field), keep the values. A key is preceded by `key is null` (false sorts first) so
    nulls come last, as on the other engines; a null value is dropped by array_join.
-#}
{% macro spark__chorus_ordered_string_agg(measure, delimiter_text, order_by) -%}
    {%- set fields = [] -%}
    {%- for expression in order_by -%}
        {%- do fields.append('(' ~ expression ~ ') is null') -%}
        {%- do fields.append(expression) -%}
    {%- endfor -%}
    {%- do fields.append(measure) -%}
    {%- set named = [] -%}
    {%- for field in fields -%}
        {%- do named.append(field ~ ' as k' ~ loop.index) -%}
    {%- endfor -%}
    array_join(
        transform(
            array_sort(collect_list(struct({{ named | join(', ') }}))),
            entry -> entry.k{{ fields | length }}
        ),
        {{ delimiter_text }}
    )
{%- endmacro %}
