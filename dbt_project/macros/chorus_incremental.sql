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
    is a table without the watermark columns (built_as_of, built_at), written by a
    version of the model that kept none.
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
    {%- if 'built_as_of' not in stored_columns or 'built_at' not in stored_columns -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set went_back = run_query(
        "select count(*) from " ~ existing ~ " where built_as_of > " ~ chorus_as_of()
    ).columns[0].values()[0] -%}
    {{ return((went_back | int) > 0) }}
{%- endmacro %}


{#-
    The previous build's watermarks of an incremental model built as of a time, read
    once, before the query is written, so the model compares with constants (a constant
    filter reaches the raw tables' scans): a dict of the maximum of each watermark column
    the model keeps, none when unknown (nothing stored yet, or a table written before
    the model kept them; a build rebuilds that whole, and `dbt compile` must not fail on
    it):
      as_of              built_as_of, the as_of of the build;
      loaded_through     last_loaded_at, the latest raw load the rows hold;
      built_at           built_at, the start of the invocation that wrote the rows
                         (chorus_built_at): what a model below has read is what was
                         written before its own built_at;
      identity_batch_id  identity_batch_id, the identity batch whose customer_identifiers
                         the rows were resolved with;
      seeds_checksum     seeds_checksum, the seeds' fields the rows copy.
-#}
{% macro chorus_build_watermarks() -%}
    {%- set watermarks = {
        'as_of': 'built_as_of', 'loaded_through': 'last_loaded_at', 'built_at': 'built_at',
        'identity_batch_id': 'identity_batch_id', 'seeds_checksum': 'seeds_checksum',
    } -%}
    {%- set unknown = {} -%}
    {%- for name in watermarks -%}
        {%- do unknown.update({name: none}) -%}
    {%- endfor -%}
    {%- if not execute -%}
        {{ return(unknown) }}
    {%- endif -%}
    {%- set stored_columns = adapter.get_columns_in_relation(this)
        | map(attribute='name') | map('lower') | list -%}
    {%- if 'built_as_of' not in stored_columns or 'built_at' not in stored_columns -%}
        {{ return(unknown) }}
    {%- endif -%}
    {%- set kept = [] -%}
    {%- for name, column in watermarks.items() if column in stored_columns -%}
        {%- do kept.append((name, column)) -%}
    {%- endfor -%}
    {%- set selected = [] -%}
    {%- for name, column in kept -%}
        {%- do selected.append('cast(max(' ~ column ~ ') as ' ~ dbt.type_string() ~ ')') -%}
    {%- endfor -%}
    {%- set row = run_query("select " ~ selected | join(', ') ~ " from " ~ this).rows[0] -%}
    {%- set result = unknown.copy() -%}
    {%- for name, column in kept -%}
        {%- do result.update({name: row[loop.index0]}) -%}
    {%- endfor -%}
    {{ return(result) }}
{%- endmacro %}


{#- The start of this dbt invocation, as a timestamp literal: the built_at of the rows
    an incremental model writes (models below read the rows written since their own
    last built_at). -#}
{% macro chorus_built_at() -%}
    {{ return(chorus_timestamp_literal(chorus_format_timestamp(run_started_at))) }}
{%- endmacro %}


{#- The latest identity batch, as a SQL literal (null outside a build): the
    identity_batch_id of the rows an event model resolves through customer_identifiers,
    which the identity batch has finished writing when the model builds. -#}
{% macro chorus_latest_identity_batch() -%}
    {%- set batches = chorus_stored_relation('int_identity_batches') -%}
    {%- if batches is none -%}
        {{ return('cast(null as integer)') }}
    {%- endif -%}
    {%- set latest = run_query(
        "select max(batch_id) from " ~ batches ~ " where model_name = 'int_identity_batches'"
    ).columns[0].values()[0] -%}
    {{ return('cast(' ~ (latest if latest is not none else 'null') ~ ' as integer)') }}
{%- endmacro %}


{#- A checksum of the rows of `seeds` (a list of (seed name, key column)), '' outside a
    build: stored beside rows that copy seed fields (contacts copies the campaigns' and
    the channels' engagement rule), so a build compares them with the seeds only after
    the seeds changed. -#}
{% macro chorus_seeds_checksum(seeds) -%}
    {%- if not chorus_is_building() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set parts = [] -%}
    {%- for seed_name, key in seeds -%}
        {%- for row in run_query("select * from " ~ ref(seed_name) ~ " order by " ~ key).rows -%}
            {%- do parts.append(seed_name ~ ':' ~ (row.values() | map('string') | join('|'))) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(local_md5(parts | join(';'))) }}
{%- endmacro %}


{#-
    Create the work table <this>__<suffix> from `sql` while the model renders, in a build
    (none otherwise), and return it; it stays until the next build, for a person
    debugging what a build read. For a set an incremental build joins with its stored
    rows: a table's exact row count lets DuckDB's planner hash the small side, where a
    CTE's estimate (a fixed share of the rows a filter scans) made it hash the stored
    table (contacts: the day's events).
-#}
{% macro chorus_work_table(suffix, sql) -%}
    {%- if not chorus_is_building() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set work = chorus_work_relation(this, suffix) -%}
    {%- do adapter.drop_relation(work) -%}
    {%- call statement('chorus_work_table') -%}
        {{ get_create_table_as_sql(False, work, sql) }}
    {%- endcall -%}
    {#- known to dbt's relation cache, so a later lookup finds it -#}
    {%- do adapter.cache_added(work) -%}
    {{ return(work) }}
{%- endmacro %}


{#-
    The work table <model>__<suffix> of a model (chorus_work_table, identity's regions):
    in the intermediate schema, whatever the model's own, so that the schema of the marts
    holds the documented marts and nothing else (a BI tool or `chorus sql` user lists
    it). In a build the schema is created if missing, and a work table an older version
    left beside a mart is dropped.
-#}
{% macro chorus_work_relation(relation, suffix) -%}
    {%- set work = api.Relation.create(
        database=relation.database,
        schema=generate_schema_name('intermediate', none) | trim,
        identifier=relation.identifier ~ '__' ~ suffix,
        type='table',
    ) -%}
    {%- if chorus_is_building() and work.schema != relation.schema -%}
        {%- do adapter.drop_relation(api.Relation.create(
            database=relation.database, schema=relation.schema,
            identifier=work.identifier, type='table'
        )) -%}
        {%- do adapter.create_schema(work) -%}
    {%- endif -%}
    {{ return(work) }}
{%- endmacro %}
