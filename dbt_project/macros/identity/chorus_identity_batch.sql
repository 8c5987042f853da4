{#-
    Incremental identity resolution, in batches (docs/DECISIONS.md "Identity in batches").

    Every build of the identity models is one batch, numbered by int_identity_batches,
    which decides its mode once for all of them:
      full         every batched model is rebuilt from all evidence;
      incremental  every batched model replaces only its region: the rows that the new
                   evidence can change (new rows loaded, events up to a later as_of,
                   changed CRM contacts, orders and tickets), computed while the model
                   renders into a work table <model>__region, kept until the next batch
                   so the models below can read what changed.
    A batched model (config chorus_identity_batched=true) is materialized 'incremental'
    with the append strategy: its rows carry batch_id; it inserts its region's rows and
    a post-hook (chorus_identity_replace_region) deletes the older rows of the region.
    Another post-hook (chorus_identity_progress) records in int_identity_batches that the
    model built the batch. The next batch is incremental only if every batched model
    built the previous one; a failed or partial build makes the next batch full.
-#}

{#- int_identity_batches, found through the graph (hooks and macros cannot ref it). -#}
{% macro chorus_identity_batches_relation() -%}
    {%- set batches_node = graph.nodes.get('model.' ~ project_name ~ '.int_identity_batches') -%}
    {{ return(adapter.get_relation(
        database=batches_node.database, schema=batches_node.schema, identifier=batches_node.alias
    )) }}
{%- endmacro %}


{#-
    The batch being built: a dict with batch_id, mode ('full' | 'incremental'), as_of,
    loaded_through (timestamp literals) and previous_as_of, previous_loaded_through (the
    batch before it; none for the first). Outside a build (unit tests, compile, docs) it
    is a full batch 0 with no bounds, so the SQL stands on its own.
-#}
{% macro chorus_identity_batch() -%}
    {%- set unbuilt = {
        'batch_id': 0, 'mode': 'full', 'as_of': none, 'loaded_through': none,
        'previous_as_of': none, 'previous_loaded_through': none,
    } -%}
    {{ return(chorus_read_batch_once(
        'chorus_identity_batch_cache', chorus_identity_read_batch, unbuilt
    )) }}
{%- endmacro %}


{% macro chorus_identity_read_batch(unbuilt) -%}
    {%- set batches = chorus_identity_batches_relation() -%}
    {%- if batches is none -%}
        {{ return(unbuilt) }}
    {%- endif -%}
    {%- set rows = run_query(
        "select batch_id, build_mode, "
        ~ "cast(as_of as " ~ dbt.type_string() ~ ") as as_of, "
        ~ "cast(loaded_through as " ~ dbt.type_string() ~ ") as loaded_through "
        ~ "from " ~ batches ~ " where model_name = 'int_identity_batches' "
        ~ "order by batch_id desc limit 2"
    ).rows -%}
    {%- if rows | length == 0 -%}
        {{ return(unbuilt) }}
    {%- endif -%}
    {%- set current = rows[0] -%}
    {%- set previous = rows[1] if rows | length > 1 else none -%}
    {{ return({
        'batch_id': current['batch_id'] | int,
        'mode': current['build_mode'],
        'as_of': chorus_identity_timestamp(current['as_of']),
        'loaded_through': chorus_identity_timestamp(current['loaded_through']),
        'previous_as_of': chorus_identity_timestamp(previous['as_of']) if previous else none,
        'previous_loaded_through': chorus_identity_timestamp(previous['loaded_through']) if previous else none,
    }) }}
{%- endmacro %}


{#- chorus_timestamp_literal, or a typed null for a missing value. -#}
{% macro chorus_identity_timestamp(value) -%}
    {%- if value is none -%}
        {{ return("cast(null as " ~ dbt.type_timestamp() ~ ")") }}
    {%- endif -%}
    {{ return(chorus_timestamp_literal(value)) }}
{%- endmacro %}


{#- Is the model being rendered a batched identity model? -#}
{% macro chorus_identity_is_batched() -%}
    {{ return(
        model is defined and model is not none
        and model.get('resource_type') == 'model'
        and (model.get('config') or {}).get('chorus_identity_batched', false)
    ) }}
{%- endmacro %}


{#- For should_full_refresh: the batch's mode, and the guard against a second build. -#}
{% macro chorus_identity_needs_full_build() -%}
    {%- set batch = chorus_identity_batch() -%}
    {%- set built = chorus_last_batch_built(chorus_identity_batches_relation()) -%}
    {%- if built is not none and built >= batch['batch_id'] -%}
        {{ exceptions.raise_compiler_error(
            model['name'] ~ " already built identity batch " ~ batch['batch_id']
            ~ ": building it again would count that batch's evidence twice. Build the"
            ~ " identity models together (--select tag:identity), which starts a new batch"
            ~ " in int_identity_batches."
        ) }}
    {%- endif -%}
    {{ return(batch['mode'] == 'full' or built is none or built != batch['batch_id'] - 1) }}
{%- endmacro %}


{#-
    Create this model's region work table (<model>__region) from `sql` while the model
    renders, in an incremental batch, and return it. In a full batch there is no region
    (none is returned): the one left from before is dropped, or, with `full_sql` and a
    stored table to read, replaced by `full_sql` (a snapshot of the stored rows that a
    model below compares with).
-#}
{% macro chorus_identity_region(sql, full_sql=none) -%}
    {%- set region = chorus_identity_region_relation(this) -%}
    {%- if not chorus_is_building() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- do adapter.drop_relation(region) -%}
    {%- if not is_incremental() -%}
        {%- if full_sql and load_relation(this) is not none -%}
            {%- call statement('chorus_identity_region') -%}
                {{ get_create_table_as_sql(False, region, full_sql) }}
            {%- endcall -%}
            {#- known to dbt's relation cache, so models below find it -#}
            {%- do adapter.cache_added(region) -%}
        {%- endif -%}
        {{ return(none) }}
    {%- endif -%}
    {%- call statement('chorus_identity_region') -%}
        {{ get_create_table_as_sql(False, region, sql) }}
    {%- endcall -%}
    {%- do adapter.cache_added(region) -%}
    {{ return(region) }}
{%- endmacro %}


{% macro chorus_identity_region_relation(relation) -%}
    {%- if not chorus_is_building() -%}
        {#- unit tests and compile: refs are fixtures, and no region is read -#}
        {{ return((relation | string) ~ '__region') }}
    {%- endif -%}
    {{ return(chorus_work_relation(relation, 'region')) }}
{%- endmacro %}


{#-
    Post-hook of a batched model: in an incremental batch, delete the rows of the region
    written by earlier batches (`predicate` selects the region's rows, with the region
    table as {region}); this batch's rows replace them. A model without a batch_id column
    (a mart) uses it as a pre-hook with batch_column=false.
-#}
{% macro chorus_identity_replace_region(predicate, batch_column=true) -%}
    {%- if chorus_is_building() and is_incremental() -%}
        {%- set region = chorus_identity_region_relation(this) -%}
        delete from {{ this }}
        where
            {% if batch_column -%}
                batch_id <> {{ chorus_identity_batch()['batch_id'] }} and
            {% endif -%}
            ({{ predicate | replace('{region}', region | string) }})
    {%- else -%}
        select 1 as nothing_to_replace
    {%- endif -%}
{%- endmacro %}


{#- Post-hook of a batched model: record that it built this batch. -#}
{% macro chorus_identity_progress() -%}
    {%- if chorus_is_building() -%}
        {%- set batch = chorus_identity_batch() -%}
        insert into {{ chorus_identity_batches_relation() }}
            (batch_id, model_name, build_mode, recorded_at)
        values (
            {{ batch['batch_id'] }},
            '{{ model['name'] }}',
            '{{ 'incremental' if is_incremental() else 'full' }}',
            {{ dbt.current_timestamp() }}
        )
    {%- else -%}
        select 1 as nothing_to_record
    {%- endif -%}
{%- endmacro %}


{#-
    The evidence filter for a source's rows in this batch: rows loaded up to the batch's
    loaded_through (a load running during the build waits for the next batch), and, with
    a time_column in an incremental batch, only rows new since the previous batch:
    loaded after it, or with an event time after its as_of (staging already stops at
    this batch's as_of). Without a time_column the source is read whole.
-#}
{% macro chorus_identity_evidence_filter(batch, time_column=none) -%}
    {%- if batch['loaded_through'] is none -%}
        1 = 1
    {%- else -%}
        _loaded_at <= {{ batch['loaded_through'] }}
        {%- if time_column and batch['mode'] == 'incremental' %}
        and (
            _loaded_at > {{ batch['previous_loaded_through'] }}
            or {{ time_column }} > {{ batch['previous_as_of'] }}
        )
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#-
    One row per (row of `relation`, identifier on it): the identifier columns of
    int_identity_records unpivoted, with each identifier's node_id. `columns` are carried.
-#}
{% macro chorus_identity_unpivot(relation, columns) -%}
    {%- for identifier_type in chorus_identity_types() %}
    select
        {% for column in columns -%}
            {{ column }},
        {% endfor -%}
        '{{ identifier_type }}' as identifier_type,
        {{ identifier_type }} as identifier_value,
        {{ chorus_node_id("'" ~ identifier_type ~ "'", identifier_type) }} as node_id
    from {{ relation }}
    where {{ identifier_type }} is not null
    {% if not loop.last -%}
    union all
    {%- endif -%}
    {%- endfor -%}
{%- endmacro %}


{#-
    The identifiers of a record as one string, unambiguous (each value prefixed by its
    length, a missing one empty): hashed with the source into record_id.
-#}
{% macro chorus_identity_record_key() -%}
    {%- set parts = [] -%}
    {%- for identifier_type in chorus_identity_types() -%}
        {%- do parts.append(
            "coalesce(cast(length(" ~ identifier_type ~ ") as " ~ dbt.type_string() ~ ") || ':' || "
            ~ identifier_type ~ ", '')"
        ) -%}
    {%- endfor -%}
    {{ return(parts | join(" || '|' || ")) }}
{%- endmacro %}


{#-
    Fail when a staging view the evidence is read through was built for another as_of
    (they hold it as a literal): a batch would then record an as_of its evidence does not
    reach, and rows dated in between would be skipped by this batch and the next. The
    definition is read from the catalog (DuckDB, PostgreSQL; other engines are not
    checked: their batches are always full).
-#}
{% macro chorus_identity_check_staging_as_of(staging_relations) -%}
    {%- if not chorus_is_building() -%}
        {{ return(none) }}
    {%- endif -%}
    {#- 'YYYY-MM-DD HH:MM:SS': how both engines spell the literal in a view definition -#}
    {%- set as_of_text = modules.re.search("[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}", chorus_as_of()).group(0) -%}
    {%- for relation in staging_relations -%}
        {%- set definition = chorus_view_definition(relation) -%}
        {%- if definition is not none and as_of_text not in definition -%}
            {{ exceptions.raise_compiler_error(
                relation ~ " was built for another as_of than this build's (" ~ as_of_text
                ~ "): the identity batch would skip evidence. Build the staging views with"
                ~ " the identity models (chorus build, or dbt run --select +tag:identity)."
            ) }}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}


{% macro chorus_view_definition(relation) -%}
    {{ return(adapter.dispatch('chorus_view_definition', 'chorus')(relation)) }}
{%- endmacro %}

{% macro default__chorus_view_definition(relation) -%}
    {{ return(none) }}
{%- endmacro %}

{% macro duckdb__chorus_view_definition(relation) -%}
    {%- set rows = run_query(
        "select sql from duckdb_views() where schema_name = '" ~ relation.schema
        ~ "' and view_name = '" ~ relation.identifier ~ "'"
    ).rows -%}
    {{ return(rows[0][0] if rows | length > 0 else none) }}
{%- endmacro %}

{% macro postgres__chorus_view_definition(relation) -%}
    {%- set rows = run_query(
        "select definition from pg_views where schemaname = '" ~ relation.schema
        ~ "' and viewname = '" ~ relation.identifier ~ "'"
    ).rows -%}
    {{ return(rows[0][0] if rows | length > 0 else none) }}
{%- endmacro %}


{#-
    The identity models' code, as one checksum (chorus_models_checksum): a change of
    their SQL makes int_identity_batches start a full batch (an incremental batch would
    append the new code's rows to tables the old code shaped). A change to
    macros/identity/ alone still needs --full-refresh.
-#}
{% macro chorus_identity_code_checksum() -%}
    {{ return(chorus_models_checksum(['identity'])) }}
{%- endmacro %}


{#-
    Can this engine run an incremental identity batch? One needs to delete the older rows
    of a region (chorus_identity_replace_region) from tables dbt appended to. DuckDB and
    PostgreSQL can. Spark cannot on the tables dbt-spark makes by default: parquet (the
    session method's file_format) has no row DELETE, and its incremental strategies are
    append and insert_overwrite, which replaces whole partitions, while a region is
    scattered node ids. DELETE needs a Delta or Iceberg table (a cluster's file_format),
    so Spark batches are always full (docs/DECISIONS.md, "Where the SQL differs").
    Another engine is full until it is checked.
-#}
{% macro chorus_identity_supports_incremental() -%}
    {{ return(adapter.dispatch('chorus_identity_supports_incremental', 'chorus')()) }}
{%- endmacro %}

{% macro default__chorus_identity_supports_incremental() -%}
    {{ return(false) }}
{%- endmacro %}

{% macro duckdb__chorus_identity_supports_incremental() -%}
    {{ return(true) }}
{%- endmacro %}

{% macro postgres__chorus_identity_supports_incremental() -%}
    {{ return(true) }}
{%- endmacro %}
