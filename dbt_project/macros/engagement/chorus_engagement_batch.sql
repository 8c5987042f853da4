{#-
    Incremental engagement and customer models, in batches (docs/DECISIONS.md
    "Engagement in batches: a daily build rewrites only the customers it touches").

    Every build of the engagement models is one batch, numbered and logged by
    int_engagement_batches, which decides its mode once for all of them:
      full         every per-customer model is rebuilt whole, and the fits (the
                   engagement priors, the tier boundaries, the fatigue curve) are
                   computed for the batch's fit period when they are not stored yet;
      incremental  every per-customer model rewrites only the customers in the batch's
                   scope (int_engagement_scope: the customers whose data changed since
                   the previous batch, or whose rows change with the passing of time),
                   with the SQL of a full build restricted to them, and keeps the
                   stored fits.
    A per-customer model (config chorus_customer_scoped=true) is materialized
    'incremental' with the append strategy: a pre-hook (chorus_scope_delete) deletes the
    scope's rows, the model inserts theirs, and a post-hook (chorus_scope_progress)
    records in int_engagement_batches that it built the batch. A model that did not build
    the previous batch (a failed, partial or separate run) rebuilds whole.
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
    {%- if not chorus_is_building() -%}
        {{ return(unbuilt) }}
    {%- endif -%}
    {#- read once per node and invocation (int_engagement_batches builds before any reader) -#}
    {%- set cache = graph.setdefault('chorus_engagement_batch_cache', {}) -%}
    {%- set key = invocation_id ~ ':' ~ (model['unique_id'] if model is defined and model else '') -%}
    {%- if key not in cache -%}
        {%- do cache.update({key: chorus_engagement_read_batch(unbuilt)}) -%}
    {%- endif -%}
    {{ return(cache[key]) }}
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
    {%- set built = run_query(
        "select max(batch_id) from " ~ chorus_engagement_batches_relation()
        ~ " where model_name = '" ~ model['name'] ~ "'"
    ).columns[0].values()[0] -%}
    {{ return(built is none or (built | int) != batch['batch_id'] - 1) }}
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
    fit model records that it built this batch; nothing (no SQL) for the others. -#}
{% macro chorus_scope_progress() -%}
    {%- if chorus_is_building() and (chorus_is_customer_scoped()
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


{#-
    `column = '<the batch's fit key>'`: the rows of a fit store (int_engagement_priors,
    int_fatigue_tiers, int_fatigue_curves) that this batch scores with. Keeps every row
    outside a build (unit tests give the one fit).
-#}
{% macro chorus_current_fit(column='fit_key') -%}
    {%- set fit_key = chorus_engagement_batch()['fit_key'] -%}
    {%- if fit_key is none -%}
        1 = 1
    {%- else -%}
        {{ column }} = '{{ fit_key }}'
    {%- endif -%}
{%- endmacro %}


{#-
    For a fit model, in its final `where`: must it fit now (true or false)? When the
    store holds no rows for the batch's fit
    key (a fit key holds the settings checksum, so new code fits anew; the fit models'
    on_schema_change='sync_all_columns' reshapes a store an older version made), or var
    chorus_engagement_refit is true (a refit on demand replaces them: the pre-hook
    chorus_fit_replace deletes them first). Always outside a build.
-#}
{% macro chorus_fit_is_due() -%}
    {%- set fit_key = chorus_engagement_batch()['fit_key'] -%}
    {%- if fit_key is none or not is_incremental() or var('chorus_engagement_refit', false) -%}
        {{ return(true) }}
    {%- endif -%}
    {%- if 'fit_key' not in (adapter.get_columns_in_relation(this) | map(attribute='name')
        | map('lower') | list) -%}
        {#- a table an older version shaped: fit (on_schema_change reshapes it) -#}
        {{ return(true) }}
    {%- endif -%}
    {%- set stored = run_query(
        "select count(*) from " ~ this ~ " where fit_key = '" ~ fit_key ~ "'"
    ).columns[0].values()[0] -%}
    {{ return((stored | int) == 0) }}
{%- endmacro %}


{#- Pre-hook of the engagement models (dbt_project.yml): a fit model refitting on
    demand (var chorus_engagement_refit) deletes the stored rows of the batch's fit key;
    nothing (no SQL) for the others. -#}
{% macro chorus_fit_replace() -%}
    {%- if chorus_is_building() and (model.get('config') or {}).get('chorus_engagement_fit', false)
        and var('chorus_engagement_refit', false) and is_incremental() -%}
        delete from {{ this }} where {{ chorus_current_fit() }}
    {%- endif -%}
{%- endmacro %}


{#-
    What the engagement models' answers depend on besides the data, as one checksum: the
    channel_policy and suppression_rules seeds, the vars they read and their code
    (chorus_models_checksum of the models tagged engagement or customers). A change
    starts a full batch and a new fit. The campaigns seed is not in it: marketers add
    campaigns every day, and contacts rewrites the messages of a campaign whose fields
    changed (their customers are then in the batch's scope).
-#}
{% macro chorus_engagement_settings_checksum() -%}
    {%- set parts = [
        chorus_models_checksum(['engagement', 'customers']),
        chorus_seeds_checksum([('channel_policy', 'channel'), ('suppression_rules', 'rule_id')]),
    ] -%}
    {%- for name in chorus_engagement_settings_vars() -%}
        {%- do parts.append(name ~ '=' ~ var(name, none)) -%}
    {%- endfor -%}
    {{ return(local_md5(parts | join(';'))) }}
{%- endmacro %}


{#- The vars of dbt_project.yml that the engagement and customer models read (the
    lookback, which only says which events a build re-reads, is not one of them). -#}
{% macro chorus_engagement_settings_vars() -%}
    {{ return([
        'chorus_default_timezone', 'chorus_unreachable_after_bounces',
        'chorus_engagement_prior_min_customers', 'chorus_engagement_prior_strength_min',
        'chorus_engagement_prior_strength_max', 'chorus_engagement_fit_days',
        'chorus_fatigue_min_marginal_engagement', 'chorus_fatigue_curve_min_messages',
        'chorus_fatigue_curve_max_contacts', 'chorus_fatigue_curve_days',
        'chorus_fatigue_default_weekly_cap', 'chorus_fatigue_min_weekly_cap',
        'chorus_fatigue_trend_min_messages', 'chorus_fatigue_weight_pressure',
        'chorus_fatigue_weight_decline', 'chorus_fatigue_weight_unsubscribe_page',
        'chorus_fatigue_weight_complaint', 'chorus_fatigue_weight_slowdown',
        'chorus_fatigue_cap_reduction', 'chorus_lifecycle_loyal_orders',
        'chorus_lifecycle_new_days', 'chorus_lifecycle_active_days',
        'chorus_lifecycle_lapsed_days', 'chorus_anonymous_retention_days',
    ]) }}
{%- endmacro %}


{#-
    The first day of the fit period holding as_of, 'YYYY-MM-DD': periods of var
    chorus_engagement_fit_days days, counted from Monday 2024-01-01, so a 7-day period
    runs Monday to Sunday (UTC).
-#}
{% macro chorus_engagement_fit_period(as_of_text) -%}
    {%- set days = var('chorus_engagement_fit_days') | int -%}
    {%- if days < 1 -%}
        {{ exceptions.raise_compiler_error(
            "chorus_engagement_fit_days must be 1 or more (days between refits of the"
            ~ " engagement priors and the fatigue curve), got " ~ days ~ "."
        ) }}
    {%- endif -%}
    {%- set anchor = modules.datetime.date(2024, 1, 1) -%}
    {%- set day = modules.datetime.datetime.strptime(as_of_text[:10], '%Y-%m-%d').date() -%}
    {%- set elapsed = (day - anchor).days -%}
    {%- set start = anchor + modules.datetime.timedelta(days=(elapsed // days) * days) -%}
    {{ return(start.strftime('%Y-%m-%d')) }}
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


{#- For int_engagement_scope: a time `column` that was within `days` days before the
    previous batch's as_of and is more than `days` before this batch's (it left a
    trailing window); `days` a number or a SQL expression. -#}
{% macro chorus_left_window(column, days, batch) -%}
    ({{ column }} > {{ dbt.dateadd('day', '-(' ~ days ~ ')', batch['previous_as_of']) }}
    and {{ column }} <= {{ dbt.dateadd('day', '-(' ~ days ~ ')', batch['as_of']) }})
{%- endmacro %}


{#- For int_engagement_scope: a time `column` after the previous batch's as_of and up
    to this batch's (what staging newly shows at this as_of). -#}
{% macro chorus_since_previous(column, batch) -%}
    ({{ column }} > {{ batch['previous_as_of'] }} and {{ column }} <= {{ batch['as_of'] }})
{%- endmacro %}


{#- The trailing windows of customer_fatigue, in days, in one place: contacts_last_7d
    (week); the recent engagement, pressure and unsubscribe-page signals (recent); the
    complaint signal and the channel share (history). int_engagement_scope finds the
    customers whose messages left them. -#}
{% macro chorus_fatigue_windows() -%}
    {{ return({'week': 7, 'recent': 28, 'history': 90}) }}
{%- endmacro %}


{#-
    One row per customer with delivered marketing messages and a smoothed rate: their
    base_rate, the engagement rates of `engagement` (customer_engagement or a CTE of its
    rows) averaged over their channels, weighted by messages delivered; the measure the
    engagement tiers are cut on (int_fatigue_tiers) and that places a customer in one
    (customer_fatigue). Summed as decimals, so no thread order changes a tier.
-#}
{% macro chorus_fatigue_base_rates(engagement) -%}
    select
        customer_id,
        cast(
            sum(cast(delivered * engagement_rate as decimal(38, 12))) / sum(delivered)
            as {{ chorus_type_double() }}
        ) as base_rate,
        cast(sum(delivered) as bigint) as delivered
    from {{ engagement }}
    where delivered > 0 and engagement_rate is not null
    group by 1
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


{#- The channels of the channel_policy seed, in its order, for models that lay them
    side by side (one column per channel): 'consent' every channel consent is kept for,
    'contact' the channels messages go out on (is_contact). A singular test
    (assert_channel_lists_match_channel_policy) fails when the seed and these lists
    part. -#}
{% macro chorus_channels(kind) -%}
    {%- set channels = {
        'consent': ['email', 'sms', 'push', 'chat', 'ads'],
        'contact': ['email', 'sms', 'push', 'chat'],
    } -%}
    {{ return(channels[kind]) }}
{%- endmacro %}


{#- For a row with one column per channel (`<channel>_<column>` of `relation`, a channel
    of chorus_channels('consent')), joined to the channel_policy row `policy`: the
    value of the policy's channel. -#}
{% macro chorus_channel_column(relation, column) -%}
    case policy.channel
        {% for channel in chorus_channels('consent') -%}
            when '{{ channel }}' then {{ relation }}.{{ channel }}_{{ column }}
        {% endfor -%}
    end
{%- endmacro %}
