{#-
    Seconds since 1970-01-01 UTC of a (naive UTC) timestamp, as a BIGINT: a number to
    order a window by when its frame is a time range (Spark's RANGE frames take numbers
    only; DuckDB's and PostgreSQL's take them too).
-#}
{% macro chorus_epoch_seconds(utc_timestamp) -%}
    {{ return(adapter.dispatch('chorus_epoch_seconds', 'chorus')(utc_timestamp)) }}
{%- endmacro %}

{% macro default__chorus_epoch_seconds(utc_timestamp) -%}
    cast(extract(epoch from {{ utc_timestamp }}) as bigint)
{%- endmacro %}

{% macro duckdb__chorus_epoch_seconds(utc_timestamp) -%}
    cast(epoch({{ utc_timestamp }}) as bigint)
{%- endmacro %}

{% macro spark__chorus_epoch_seconds(utc_timestamp) -%}
    cast(unix_timestamp({{ utc_timestamp }}) as bigint)
{%- endmacro %}
