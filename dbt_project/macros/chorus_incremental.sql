{#-
    Incremental models outside identity (engagement): dbt's delete+insert strategy,
    where the engine can delete rows of a table dbt made.
-#}

{#-
    Can this engine delete rows from the tables dbt makes? DuckDB and PostgreSQL can.
    Spark cannot on the parquet tables a session makes (no row DELETE; its strategies
    are append and insert_overwrite of whole partitions), only on Delta or Iceberg
    tables (docs/DECISIONS.md, "Where the SQL differs"). Another engine answers no until
    it is checked.
-#}
{% macro chorus_supports_row_delete() -%}
    {{ return(adapter.dispatch('chorus_supports_row_delete', 'chorus')()) }}
{%- endmacro %}

{% macro default__chorus_supports_row_delete() -%}
    {{ return(false) }}
{%- endmacro %}

{% macro duckdb__chorus_supports_row_delete() -%}
    {{ return(true) }}
{%- endmacro %}

{% macro postgres__chorus_supports_row_delete() -%}
    {{ return(true) }}
{%- endmacro %}


{#- `materialized=` of a delete+insert model: incremental where rows can be deleted,
    a table rebuilt whole on every build elsewhere (Spark). -#}
{% macro chorus_incremental_materialization() -%}
    {{ return('incremental' if chorus_supports_row_delete() else 'table') }}
{%- endmacro %}


{#-
    For should_full_refresh: has as_of moved back since this model was last built? A
    model with config chorus_as_of_incremental=true keeps the as_of it was built at in a
    column built_as_of and reads only what changed since; an earlier as_of would have to
    forget events, which delete+insert cannot, so the model is rebuilt whole instead. So
    is a table without built_as_of, written by a version of the model that kept none.
-#}
{% macro chorus_as_of_went_back() -%}
    {%- if not (config.get('chorus_as_of_incremental', false) and execute) -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set existing = adapter.get_relation(this.database, this.schema, this.identifier) -%}
    {%- if existing is none -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set stored_columns = adapter.get_columns_in_relation(existing)
        | map(attribute='name') | map('lower') | list -%}
    {%- if 'built_as_of' not in stored_columns -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set went_back = run_query(
        "select count(*) from " ~ existing ~ " where built_as_of > " ~ chorus_as_of()
    ).columns[0].values()[0] -%}
    {{ return((went_back | int) > 0) }}
{%- endmacro %}


{#-
    The previous build's watermarks of an incremental model built as of a time
    (columns built_as_of and last_loaded_at): {'as_of': max built_as_of,
    'loaded_through': max last_loaded_at}, each none when unknown (nothing stored yet,
    or a table written before the model kept them; a build rebuilds that whole, and
    `dbt compile` must not fail on it). Read once, before the query is written, so the
    model compares with constants: a constant filter reaches the raw tables' scans.
-#}
{% macro chorus_build_watermarks() -%}
    {%- set unknown = {'as_of': none, 'loaded_through': none} -%}
    {%- if not execute -%}
        {{ return(unknown) }}
    {%- endif -%}
    {%- set stored_columns = adapter.get_columns_in_relation(this)
        | map(attribute='name') | map('lower') | list -%}
    {%- if 'built_as_of' not in stored_columns or 'last_loaded_at' not in stored_columns -%}
        {{ return(unknown) }}
    {%- endif -%}
    {%- set row = run_query(
        "select max(built_as_of), max(last_loaded_at) from " ~ this
    ).rows[0] -%}
    {{ return({'as_of': row[0], 'loaded_through': row[1]}) }}
{%- endmacro %}
