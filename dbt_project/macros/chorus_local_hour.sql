{#-
    The hour of day (0-23) of a UTC timestamp in an IANA time zone ('Europe/Berlin'),
    daylight saving included. Raw timestamps are naive UTC on every engine (the
    profiles pin the session time zone to UTC).
-#}
{% macro chorus_local_hour(utc_timestamp, time_zone) -%}
    {{ return(adapter.dispatch('chorus_local_hour', 'chorus')(utc_timestamp, time_zone)) }}
{%- endmacro %}

{% macro default__chorus_local_hour(utc_timestamp, time_zone) -%}
    cast(extract(hour from (({{ utc_timestamp }}) at time zone 'UTC') at time zone ({{ time_zone }})) as integer)
{%- endmacro %}

{% macro duckdb__chorus_local_hour(utc_timestamp, time_zone) -%}
    cast(extract(hour from timezone({{ time_zone }}, cast({{ utc_timestamp }} as timestamptz))) as integer)
{%- endmacro %}

{% macro spark__chorus_local_hour(utc_timestamp, time_zone) -%}
    cast(hour(from_utc_timestamp({{ utc_timestamp }}, {{ time_zone }})) as integer)
{%- endmacro %}

