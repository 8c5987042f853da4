{#-
    Unit test fixtures (dbt's get_fixture_sql, which dbt calls for every dict or csv
    `given` of a unit test), dispatched. dbt writes a fixture as one `select <literals>`
    per row, joined by union all. Spark inlines every CTE into each place that reads it,
    so a model that reads a fixture through many CTEs (int_identity_bridges,
    int_identity_identifiers) carried thousands of one-row selects, each planned on its
    own: minutes per test, and int_identity_bridges' tests ran out of memory. On Spark
    a fixture is one VALUES table (a single local relation, however often it is copied).
    Same rows and types on every engine; the others keep dbt's own SQL.
-#}
{% macro get_fixture_sql(rows, column_name_to_data_types) %}
    {{- return(adapter.dispatch('chorus_fixture_sql', 'chorus')(rows, column_name_to_data_types)) -}}
{% endmacro %}

{% macro default__chorus_fixture_sql(rows, column_name_to_data_types) %}
    {{- return(dbt.get_fixture_sql(rows, column_name_to_data_types)) -}}
{% endmacro %}

{#- dbt 1.11's get_fixture_sql, with the rows as one VALUES list -#}
{% macro spark__chorus_fixture_sql(rows, column_name_to_data_types) %}
-- Fixture for {{ model.name }}
{% set default_row = {} %}

{%- if not column_name_to_data_types -%}
{%-   set this_or_defer_relation = defer_relation if (defer_relation and not load_relation(this)) else this -%}
{%-   set columns_in_relation = adapter.get_columns_in_relation(this_or_defer_relation) -%}
{%-   set column_name_to_data_types = {} -%}
{%-   set column_name_to_quoted = {} -%}
{%-   for column in columns_in_relation -%}
{%-     do column_name_to_data_types.update({column.name|lower: column.data_type}) -%}
{%-     do column_name_to_quoted.update({column.name|lower: column.quoted}) -%}
{%-   endfor -%}
{%- endif -%}

{%- if not column_name_to_data_types -%}
    {{ exceptions.raise_compiler_error("Not able to get columns for unit test '" ~ model.name ~ "' from relation " ~ this ~ " because the relation doesn't exist") }}
{%- endif -%}

{%- for column_name, column_type in column_name_to_data_types.items() -%}
    {%- do default_row.update({column_name: (safe_cast("null", column_type) | trim )}) -%}
{%- endfor -%}

{{ validate_fixture_rows(rows, row_number) }}

{%- if (rows | length) == 0 -%}
    select
    {%- for column_name, column_value in default_row.items() %} {{ column_value }} as {{ column_name_to_quoted[column_name] }}{% if not loop.last -%},{%- endif %}
    {%- endfor %}
    limit 0
{%- else -%}
select * from (values
{%- for row in rows %}
{%-   set formatted_row = format_row(row, column_name_to_data_types) -%}
{%-   set default_row_copy = default_row.copy() -%}
{%-   do default_row_copy.update(formatted_row) %}
    ({%- for column_name, column_value in default_row_copy.items() -%}{{ column_value }}{% if not loop.last %}, {% endif %}{%- endfor -%}){% if not loop.last %},{% endif %}
{%- endfor %}
) as fixture (
{%- for column_name in default_row.keys() -%}{{ column_name_to_quoted[column_name] }}{% if not loop.last %}, {% endif %}{%- endfor -%}
)
{%- endif -%}
{% endmacro %}
