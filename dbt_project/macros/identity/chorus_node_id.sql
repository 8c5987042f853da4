{#-
    The identity graph's integer id of an identifier: a 63-bit hash of
    type || ':' || value, as a BIGINT. Every model can compute it from the identifier
    itself, so no model joins strings to find a node, and it is the same in every build
    (the node of an identifier never changes; dense row numbers would).

    Two identifiers with the same hash would be one node. With n identifiers the chance
    of any collision is about n^2 / 2^64: 2e-6 at 6 million identifiers. It is not left
    to chance: int_identity_identifiers tests node_id unique, and `dbt build` stops
    before the graph is built on a collision (docs/DECISIONS.md "Node ids").
-#}
{% macro chorus_node_id(identifier_type, identifier_value) -%}
    {{ return(adapter.dispatch('chorus_node_id', 'chorus')(identifier_type, identifier_value)) }}
{%- endmacro %}

{% macro default__chorus_node_id(identifier_type, identifier_value) -%}
    {{ exceptions.raise_compiler_error(
        "chorus_node_id has no 64-bit hash for adapter " ~ adapter.type()
        ~ ": add a <adapter>__chorus_node_id macro (macros/identity/chorus_node_id.sql)"
    ) }}
{%- endmacro %}

{#- hash() is a UBIGINT; one bit less fits a BIGINT -#}
{% macro duckdb__chorus_node_id(identifier_type, identifier_value) -%}
    cast(hash({{ identifier_type }} || ':' || {{ identifier_value }}) >> 1 as bigint)
{%- endmacro %}

{% macro postgres__chorus_node_id(identifier_type, identifier_value) -%}
    hashtextextended({{ identifier_type }} || ':' || {{ identifier_value }}, 0)
{%- endmacro %}

{% macro spark__chorus_node_id(identifier_type, identifier_value) -%}
    xxhash64(concat({{ identifier_type }}, ':', {{ identifier_value }}))
{%- endmacro %}
