{#-
    Incremental engagement and customer models, in batches (docs/DECISIONS.md
    "Engagement in batches: a daily build rewrites only the customers it touches").

    Every build of the engagement models is one batch, numbered and logged by
    int_engagement_batches, which decides its mode once for all of them:
      full         every per-customer model is rebuilt whole, and the fits (the
                   engagement priors, the tier limits, the fatigue curve) are
                   computed for the batch's fit period when they are not stored yet;
      incremental  every per-customer model rewrites only the customers in the batch's
                   scope (int_engagement_scope: the customers whose data changed since
                   the previous batch, or whose rows change with the passing of time),
                   with the SQL of a full build restricted to them, and keeps the
                   stored fits.
    A per-customer model (config chorus_customer_scoped=true, chorus_scope_reasons) is
    materialized chorus_scoped: a pre-hook (chorus_scope_delete) deletes the scope's
    rows, the model inserts theirs, and a post-hook (chorus_scope_progress) records in
    int_engagement_batches that it built the batch. A model that did not build the
    previous batch (a failed, partial or separate run) rebuilds whole. The fits are in
    chorus_engagement_fits.sql, the time windows in chorus_engagement_windows.sql.
-#}

{#- int_engagement_batches, found through the graph (hooks and macros cannot ref it). -#}
{% macro chorus_engagement_batches_relation() -%}
    {%- set batches_node = graph.nodes.get('model.' ~ project_name ~ '.int_engagement_batches') -%}
    {{ return(adapter.get_relation(
        database=batches_node.database, schema=batches_node.schema, identifier=batches_node.alias
    )) }}
{%- endmacro %}


{#-
    The batch being built: a dict with batch_id, mode ('full' | 'incremental'), fit_key,
    as_of, started_at, identity_batch_id and loaded_through (timestamp literals), and the
    same of the batch before it as previous_* (none for the first). Outside a build (unit
    tests, compile, docs) it is a full batch 0 with no fit, so the SQL stands on its own.
-#}
{% macro chorus_engagement_batch() -%}
    {%- set unbuilt = {
        'batch_id': 0, 'mode': 'full', 'fit_key': none, 'as_of': none, 'started_at': none,
        'identity_batch_id': none, 'loaded_through': none, 'previous_as_of': none,
        'previous_started_at': none, 'previous_identity_batch_id': none,
        'previous_loaded_through': none,
    } -%}
    {{ return(chorus_read_batch_once(
        'chorus_engagement_batch_cache', chorus_engagement_read_batch, unbuilt
    )) }}
{%- endmacro %}


{% macro chorus_engagement_read_batch(unbuilt) -%}
    {%- set batches = chorus_engagement_batches_relation() -%}
    {%- if batches is none -%}
        {{ return(unbuilt) }}
    {%- endif -%}
    {%- set text = dbt.type_string() -%}
    {%- set rows = run_query(
        "select batch_id, build_mode, fit_key, identity_batch_id, "
        ~ "cast(as_of as " ~ text ~ ") as as_of, "
        ~ "cast(started_at as " ~ text ~ ") as started_at, "
        ~ "cast(loaded_through as " ~ text ~ ") as loaded_through "
        ~ "from " ~ batches ~ " where model_name = 'int_engagement_batches' "
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
        'fit_key': current['fit_key'],
        'as_of': chorus_identity_timestamp(current['as_of']),
        'started_at': chorus_identity_timestamp(current['started_at']),
        'identity_batch_id': current['identity_batch_id'] | int,
        'loaded_through': chorus_identity_timestamp(current['loaded_through']),
        'previous_as_of': chorus_identity_timestamp(previous['as_of']) if previous else none,
        'previous_started_at': chorus_identity_timestamp(previous['started_at']) if previous else none,
        'previous_identity_batch_id': (previous['identity_batch_id'] | int) if previous else none,
        'previous_loaded_through': chorus_identity_timestamp(previous['loaded_through']) if previous else none,
    }) }}
{%- endmacro %}


{#- Is the model being rendered a per-customer engagement model? -#}
{% macro chorus_is_customer_scoped() -%}
    {{ return(
        model is defined and model is not none
        and model.get('resource_type') == 'model'
        and (model.get('config') or {}).get('chorus_customer_scoped', false)
    ) }}
{%- endmacro %}


{#-
    For should_full_refresh: does this per-customer model rebuild whole in this batch?
    When the batch is full, and when the model did not build the batch before (its
    stored rows missed that batch's scope) or built this one already (a second run in a
    batch: its scope may have moved on since).
-#}
{% macro chorus_customer_scoped_needs_full_build() -%}
    {%- set batch = chorus_engagement_batch() -%}
    {%- if batch['mode'] == 'full' -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set built = chorus_last_batch_built(chorus_engagement_batches_relation()) -%}
    {{ return(built is none or built != batch['batch_id'] - 1) }}
{%- endmacro %}


{#-
    `column in (the batch's scope)` in an incremental build of a per-customer model, else
    a condition that keeps every row: the one filter that turns a full build's SQL into
    the rewrite of the scope's customers. Always refs the scope, so dbt orders the model
    after it.
-#}
{% macro chorus_in_scope(column) -%}
    {%- if chorus_is_scoped_build() -%}
        {{ column }} in (
            select scope.customer_id
            from {{ ref('int_engagement_scope') }} as scope
            where {{ chorus_scope_condition('scope') }}
        )
    {%- else -%}
        {#- at parse time too, so dbt knows the dependency (a unit test gives no scope) -#}
        {%- if not (model is defined and model and model.get('resource_type') == 'unit_test') -%}
            {%- do ref('int_engagement_scope') -%}
        {%- endif -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}


{#-
    The scope rows (int_engagement_scope, aliased `alias`) this per-customer model
    rewrites: those with a reason in its config chorus_scope_reasons (the reasons that
    can change its rows: what it reads, and what the per-customer models it reads
    read), and the customers merged away. 'all' takes every reason.
-#}
{% macro chorus_scope_condition(alias) -%}
    {%- set reasons = config.get('chorus_scope_reasons') -%}
    {%- if reasons is none -%}
        {{ exceptions.raise_compiler_error(
            model['name'] ~ " is per customer (chorus_customer_scoped) and needs the"
            ~ " config chorus_scope_reasons: the int_engagement_scope reasons that can"
            ~ " change its rows, or 'all'."
        ) }}
    {%- endif -%}
    {%- if reasons == 'all' -%}
        1 = 1
    {%- else -%}
        ({%- for reason in ['merged_away'] + reasons -%}
            {{ alias }}.{{ reason }}{{ ' or ' if not loop.last }}
        {%- endfor -%})
    {%- endif -%}
{%- endmacro %}


{#- Is this an incremental build of a per-customer model (one that rewrites the scope):
    its table exists and the batch does not rebuild it (should_full_refresh)? -#}
{% macro chorus_is_scoped_build() -%}
    {%- if not (chorus_is_building() and chorus_is_customer_scoped()) -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set existing = load_relation(this) -%}
    {{ return(existing is not none and existing.is_table and not should_full_refresh()) }}
{%- endmacro %}


{#- `materialized=` of a per-customer model: chorus_scoped where the engine can delete
    rows (an incremental batch rewrites the scope's rows), else a table rebuilt whole
    on every build (Spark). -#}
{% macro chorus_scoped_materialization_name() -%}
    {{ return('chorus_scoped' if chorus_supports_row_delete() else 'table') }}
{%- endmacro %}


{#- Pre-hook of the engagement and customer models (dbt_project.yml): for a per-customer
    model in an incremental batch, delete the scope's rows (the scope holds the
    customers merged away too, whose rows go for good); nothing (no SQL) for the others. -#}
{% macro chorus_scope_delete() -%}
    {%- if chorus_is_scoped_build() -%}
        delete from {{ this }}
        where {{ chorus_in_scope('customer_id') }}
    {%- endif -%}
{%- endmacro %}


{#- Post-hook of the engagement and customer models (dbt_project.yml): a per-customer or
    fit model records that it built this batch; nothing (no SQL) for the others. Nothing
    on an engine without row deletes (Spark): every batch is full there, so no model reads
    the record, and two models' inserts into the one file-based table at once (dbt's
    threads) race on its _temporary directory (java.io.FileNotFoundException). -#}
{% macro chorus_scope_progress() -%}
    {%- if chorus_is_building() and chorus_supports_row_delete() and (chorus_is_customer_scoped()
        or (model.get('config') or {}).get('chorus_engagement_fit', false)) -%}
        {%- set batches = chorus_engagement_batches_relation() -%}
        {%- set batch_id = chorus_engagement_batch()['batch_id'] -%}
        {#- once per model and batch: a second build in the batch (a full one) adds no row -#}
        insert into {{ batches }} (batch_id, model_name, build_mode, recorded_at)
        select
            {{ batch_id }},
            '{{ model['name'] }}',
            '{{ 'incremental' if chorus_is_scoped_build() or (is_incremental()
                and not chorus_is_customer_scoped()) else 'full' }}',
            {{ dbt.current_timestamp() }}
        where not exists (
            select 1
            from {{ batches }} as recorded
            where recorded.batch_id = {{ batch_id }} and recorded.model_name = '{{ model['name'] }}'
        )
    {%- endif -%}
{%- endmacro %}


{#- The stored relation of a model of this project (none outside a build, or before it
    was first built): a model that reads another's previous rows without a ref, because
    that one builds after it (int_engagement_scope, int_engagement_batches). -#}
{% macro chorus_stored_relation(model_name) -%}
    {%- if not chorus_is_building() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ model_name) -%}
    {{ return(adapter.get_relation(
        database=node.database, schema=node.schema, identifier=node.alias
    )) }}
{%- endmacro %}


{#- The identifiers a per-customer model reads: in an incremental batch those of the
    customers in scope (int_engagement_scope_identifiers), else customer_identifiers.
    Both are refs at parse time, so dbt orders the model after both. -#}
{% macro chorus_scoped_identifiers() -%}
    {%- if chorus_is_scoped_build() -%}
        {{ return(
            '(select * from ' ~ ref('int_engagement_scope_identifiers')
            ~ ' where ' ~ chorus_in_scope('customer_id') ~ ')'
        ) }}
    {%- endif -%}
    {%- if not (model is defined and model and model.get('resource_type') == 'unit_test') -%}
        {%- do ref('int_engagement_scope_identifiers') -%}
    {%- endif -%}
    {{ return(ref('customer_identifiers')) }}
{%- endmacro %}

