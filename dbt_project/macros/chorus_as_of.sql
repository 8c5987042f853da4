{#-
    Every model computes state as of one UTC timestamp (docs/rules.md "Time").

    chorus_as_of() returns it as a SQL timestamp literal, e.g.
    cast('2024-06-30 23:59:00.000000' as timestamp), so the value is frozen into the
    compiled SQL and a run is reproducible for a given raw data set and as_of.

    - var chorus_as_of set: used as given (ISO 8601; an offset is converted to UTC,
      a bare date means midnight UTC, `now` is the start of the invocation in UTC).
    - var unset: the latest event time in the raw data, i.e. the max over the time
      column (`loaded_at_field`) of every source table that has one, ignoring values
      more than chorus_future_tolerance_hours ahead of the wall clock; the wall clock
      (the start of the invocation) when the raw tables are empty.

    The default is queried once per invocation and kept in a cache on the `graph`
    context object (shared by every node of one invocation), so all models agree even
    if the raw tables are being loaded while dbt runs. At parse time (execute is
    false) a fixed placeholder is returned and no query runs.
-#}
{% macro chorus_as_of() -%}
    {{- return(chorus_timestamp_literal(chorus_as_of_text())) -}}
{%- endmacro %}


{#- The run's as_of as text, 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC), for macros that compute
    with it in Jinja (the fit period of the engagement models); same rules and cache as
    chorus_as_of(). -#}
{% macro chorus_as_of_text() -%}
    {%- set configured = var('chorus_as_of', none) -%}
    {%- if configured is not none and (configured | string | trim) != '' -%}
        {{- return(chorus_parse_as_of(configured | string | trim)) -}}
    {%- endif -%}
    {%- if not execute -%}
        {{- return('1970-01-01 00:00:00.000000') -}}
    {%- endif -%}

    {%- set cache = graph.setdefault('chorus_as_of_cache', {}) -%}
    {%- if invocation_id not in cache -%}
        {%- set result = run_query(chorus_latest_event_time_sql()) -%}
        {%- set latest = result.columns[0].values()[0] if result is not none else none -%}
        {%- if latest is none -%}
            {%- set latest = run_started_at -%}
        {%- endif -%}
        {%- do cache.update({invocation_id: chorus_format_timestamp(latest)}) -%}
    {%- endif -%}
    {{- return(cache[invocation_id]) -}}
{%- endmacro %}


{#- The SQL that finds the latest raw event time (one row, one column, may be null). -#}
{% macro chorus_latest_event_time_sql() -%}
    {%- set tolerance = var('chorus_future_tolerance_hours', 24) | int -%}
    {%- set horizon = dbt.dateadd('hour', tolerance, 'cast(' ~ dbt.current_timestamp() ~ ' as ' ~ dbt.type_timestamp() ~ ')') -%}
    {%- set parts = [] -%}
    {%- for source_node in graph.sources.values() if source_node.package_name == project_name -%}
        {#- dbt >= 1.10 keeps loaded_at_field in the table's config -#}
        {%- set time_column = source_node.config.get('loaded_at_field') or source_node.get('loaded_at_field') -%}
        {%- if time_column -%}
            {%- do parts.append(
                'select max(' ~ time_column ~ ') as latest_at from ' ~ source_node.relation_name
                ~ ' where ' ~ time_column ~ ' <= ' ~ horizon
            ) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if parts | length == 0 -%}
        select cast(null as {{ dbt.type_timestamp() }}) as latest_at
    {%- else -%}
        select max(latest_at) as latest_at
        from (
            {{ parts | join('\n            union all\n            ') }}
        ) as per_source
    {%- endif -%}
{%- endmacro %}


{#- Parse the chorus_as_of var into 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC), or fail clearly. -#}
{% macro chorus_parse_as_of(value) -%}
    {%- if value | lower == 'now' -%}
        {{- return(chorus_format_timestamp(run_started_at)) -}}
    {%- endif -%}
    {%- set iso_pattern = '^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,6})?)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?$' -%}
    {%- if not modules.re.match(iso_pattern, value) -%}
        {{- exceptions.raise_compiler_error(
            "chorus_as_of must be an ISO 8601 timestamp such as 2024-06-30T23:59:00Z "
            ~ "(or `now`), got '" ~ value ~ "'. Pass it as --vars '{chorus_as_of: ...}' "
            ~ "or `chorus build --as-of ...`."
        ) -}}
    {%- endif -%}
    {%- set parsed = modules.datetime.datetime.fromisoformat(value | replace('Z', '+00:00')) -%}
    {{- return(chorus_format_timestamp(parsed)) -}}
{%- endmacro %}


{#- A datetime (naive = UTC, or aware) as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC. -#}
{% macro chorus_format_timestamp(value) -%}
    {%- if value.tzinfo is not none -%}
        {%- set value = value.astimezone(modules.pytz.utc).replace(tzinfo=none) -%}
    {%- endif -%}
    {{- return(value.strftime('%Y-%m-%d %H:%M:%S.%f')) -}}
{%- endmacro %}


{% macro chorus_timestamp_literal(text) -%}
    cast('{{ text }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}
