{#-
    True when a regular expression held in a column (or any expression) is found in
    the string: the pattern is data, e.g. the identity_blocklist seed. Anchor patterns
    with ^...$ to match the whole value. chorus_regexp_like takes a literal pattern.
-#}
{% macro chorus_regexp_matches(expression, pattern_expression) -%}
    {{ return(adapter.dispatch('chorus_regexp_matches', 'chorus')(expression, pattern_expression)) }}
{%- endmacro %}

{#- Oracle, MySQL 8 (Snowflake's regexp_like matches the whole string) -#}
{% macro default__chorus_regexp_matches(expression, pattern_expression) -%}
    regexp_like({{ expression }}, {{ pattern_expression }})
{%- endmacro %}

{% macro duckdb__chorus_regexp_matches(expression, pattern_expression) -%}
    regexp_matches({{ expression }}, {{ pattern_expression }})
{%- endmacro %}

{% macro postgres__chorus_regexp_matches(expression, pattern_expression) -%}
    ({{ expression }} ~ {{ pattern_expression }})
{%- endmacro %}

{% macro spark__chorus_regexp_matches(expression, pattern_expression) -%}
    ({{ expression }} rlike {{ pattern_expression }})
{%- endmacro %}
