{#-
    dbt's own should_full_refresh (config full_refresh, else --full-refresh); for a model
    built as of a time (chorus_as_of_incremental), also an as_of earlier than its last
    build (chorus_as_of_went_back); for a per-customer engagement model
    (chorus_customer_scoped), also its engagement batch's mode
    (chorus_customer_scoped_needs_full_build); for a batched identity model also the
    batch's mode: a full batch rebuilds every batched model (building one twice in a
    batch would apply its evidence twice, so chorus_identity_needs_full_build fails
    instead).
-#}
{% macro should_full_refresh() -%}
    {%- set config_full_refresh = config.get('full_refresh') -%}
    {%- if config_full_refresh is none -%}
        {%- set config_full_refresh = flags.FULL_REFRESH -%}
    {%- endif -%}
    {%- if not config_full_refresh and chorus_is_building()
        and config.get('chorus_as_of_incremental', false) -%}
        {{ return(chorus_as_of_went_back()) }}
    {%- endif -%}
    {%- if not config_full_refresh and chorus_is_building() and chorus_is_customer_scoped() -%}
        {#- decided once per model and invocation, like a batched identity model's -#}
        {%- set cache = graph.setdefault('chorus_scoped_full_refresh_cache', {}) -%}
        {%- set key = invocation_id ~ ':' ~ model['unique_id'] -%}
        {%- if key not in cache -%}
            {%- do cache.update({key: chorus_customer_scoped_needs_full_build()}) -%}
        {%- endif -%}
        {{ return(cache[key]) }}
    {%- endif -%}
    {%- if config_full_refresh or not chorus_identity_is_batched() or not chorus_is_building() -%}
        {{ return(config_full_refresh) }}
    {%- endif -%}
    {#- decided once per model and invocation: dbt asks again from the SQL, the hooks and
        the materialization, and the progress post-hook must not change the answer -#}
    {%- set cache = graph.setdefault('chorus_identity_full_refresh_cache', {}) -%}
    {%- set key = invocation_id ~ ':' ~ model['unique_id'] -%}
    {%- if key not in cache -%}
        {%- do cache.update({key: chorus_identity_needs_full_build()}) -%}
    {%- endif -%}
    {{ return(cache[key]) }}
{%- endmacro %}
