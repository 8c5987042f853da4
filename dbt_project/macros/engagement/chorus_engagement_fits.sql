{#-
    The fits over everyone (the engagement priors, the engagement tiers' limits, the
    fatigue curve), fitted once per fit period and stored (docs/DECISIONS.md "Fits on a
    schedule"), and the settings checksum that keys them.
-#}

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

