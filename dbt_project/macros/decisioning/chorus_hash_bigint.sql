{#-
    A 60-bit integer hash of a text expression, as a BIGINT: the first 15 hex digits of
    its MD5 (dbt.hash). The same number on every engine, so what is ordered or keyed by
    it agrees between engines, and 8 bytes to store and join where the MD5's text is 32
    (int_decision_candidates.candidate_id: the text cost 1.8 s to write per 5.8M rows
    at 1M customers, the integer 0.1 s; docs/DECISIONS.md "The send queue at 1M").

    Two values with the same hash would be one key. With n values the chance of any
    collision is about n^2 / 2^61: 1.5e-5 at 5.8 million candidates. A unique test on
    the key fails the build then instead of merging two rows.
-#}
{% macro chorus_hash_bigint(expression) -%}
    {{ return(adapter.dispatch('chorus_hash_bigint', 'chorus')(expression)) }}
{%- endmacro %}

{% macro default__chorus_hash_bigint(expression) -%}
    cast(('0x' || substr({{ dbt.hash(expression) }}, 1, 15)) as bigint)
{%- endmacro %}

{% macro postgres__chorus_hash_bigint(expression) -%}
    cast(cast(('x0' || substr({{ dbt.hash(expression) }}, 1, 15)) as bit(64)) as bigint)
{%- endmacro %}

{% macro spark__chorus_hash_bigint(expression) -%}
    cast(conv(substr({{ dbt.hash(expression) }}, 1, 15), 16, 10) as bigint)
{%- endmacro %}
