{#-
    How seeds are loaded, the same on every engine (docs/DECISIONS.md, "Where the SQL differs").

    Every engine reads a seed's CSV through dbt's agate reader, which turns an empty
    field and the text `null` (any case, surrounding spaces ignored) into NULL; every
    other text ('none', 'n/a', '0') is kept as written. dbt-duckdb would COPY the file
    itself instead (it keeps `null` as text), so dbt_project.yml sets `fast: false`
    for seeds: one reader, one meaning. Write a value that must stay text (a blocklist
    placeholder) in a form the reader keeps (identity_blocklist writes `^null$`).

    Seed column_types are written as `varchar` (the type every warehouse but Spark
    accepts without a length); chorus_seed_column_type maps it per engine, in the two
    Spark seed macros below, which replace dbt-spark's.
-#}
{% macro chorus_seed_column_type(column_type) -%}
    {{ return(adapter.dispatch('chorus_seed_column_type', 'chorus')(column_type)) }}
{%- endmacro %}

{% macro default__chorus_seed_column_type(column_type) -%}
    {{ return(column_type) }}
{%- endmacro %}

{#- Spark 4 rejects a varchar without a length; `string` is its unbounded text -#}
{% macro spark__chorus_seed_column_type(column_type) -%}
    {%- if (column_type | lower | trim) in ['varchar', 'text', 'string'] -%}
        {{ return(dbt.type_string()) }}
    {%- endif -%}
    {{ return(column_type) }}
{%- endmacro %}


{#- A seed value as a Spark SQL literal: NULL for a missing value, quotes escaped. -#}
{% macro chorus_spark_seed_literal(value) -%}
    {%- if value is none -%}
        {{ return('null') }}
    {%- elif value is sameas true or value is sameas false -%}
        {{ return('true' if value else 'false') }}
    {%- elif value is number -%}
        {#- Decimal keeps its digits (dbt-spark sends a float: 0.1 + noise) -#}
        {{ return(value | string) }}
    {%- elif value.strftime is defined -%}
        {{ return("'" ~ value.strftime('%Y-%m-%d %H:%M:%S.%f') ~ "'") }}
    {%- endif -%}
    {#- Spark string literals escape with a backslash: first the backslash itself -#}
    {{ return("'" ~ (value | string | replace('\\', '\\\\') | replace("'", "\\'")) ~ "'") }}
{%- endmacro %}


{#-
    dbt-spark's seed table, with chorus_seed_column_type applied to column_types (the
    rest as dbt-spark 1.11 writes it).
-#}
{% macro spark__create_csv_table(model, agate_table) %}
  {%- set column_override = model['config'].get('column_types', {}) -%}
  {%- set quote_seed_column = model['config'].get('quote_columns', None) -%}

  {% set sql %}
    create table {{ this.render() }} (
        {%- for col_name in agate_table.column_names -%}
            {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
            {%- set type = chorus_seed_column_type(column_override.get(col_name, inferred_type)) -%}
            {%- set column_name = (col_name | string) -%}
            {{ adapter.quote_seed_column(column_name, quote_seed_column) }} {{ type }} {%- if not loop.last -%}, {%- endif -%}
        {%- endfor -%}
    )
    {{ file_format_clause() }}
    {{ partition_cols(label="partitioned by") }}
    {{ clustered_cols(label="clustered by") }}
    {{ location_clause() }}
    {{ comment_clause() }}
  {% endset %}

  {% call statement('_') -%}
    {{ sql }}
  {%- endcall %}

  {{ return(sql) }}
{% endmacro %}


{#-
    dbt-spark's seed rows, written as literals. Its session connection pastes each
    binding into the SQL as '<value>' with no escaping (an apostrophe in a description
    breaks the statement) and None as the text 'None' (an empty trunk prefix became the
    prefix 'None' and broke phone normalization). Here a value is rendered by
    chorus_spark_seed_literal and cast to the column's type, so no binding is sent.
-#}
{% macro spark__load_csv_rows(model, agate_table) %}
  {%- set batch_size = get_batch_size() -%}
  {%- set column_override = model['config'].get('column_types', {}) -%}
  {%- set column_types = [] -%}
  {%- for col_name in agate_table.column_names -%}
      {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
      {%- do column_types.append(chorus_seed_column_type(column_override.get(col_name, inferred_type))) -%}
  {%- endfor -%}

  {%- set statements = [] -%}
  {%- for chunk in agate_table.rows | batch(batch_size) -%}
      {%- set sql -%}
          insert into {{ this.render() }} values
          {% for row in chunk -%}
              ({%- for value in row -%}
                  cast({{ chorus_spark_seed_literal(value) }} as {{ column_types[loop.index0] }})
                  {%- if not loop.last %}, {% endif -%}
              {%- endfor -%})
              {%- if not loop.last %},{% endif %}
          {% endfor -%}
      {%- endset -%}
      {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
      {%- if loop.index0 == 0 -%}
          {%- do statements.append(sql) -%}
      {%- endif -%}
  {%- endfor -%}

  {#- the SQL of the first batch, for the compiled files -#}
  {{ return(statements[0] if statements | length > 0 else '') }}
{% endmacro %}
