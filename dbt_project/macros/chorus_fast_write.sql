{#-
    Pre-hook / post-hook pair for work tables that are rebuilt from scratch on every run
    and read once or twice (the identity intermediates): they are written without the
    FSST string compressions, whose analysis is most of the cost of writing strings in
    DuckDB. 9.8M identity records at 1M customers: 5.8 s -> 3.1 s to write, 389 -> 882
    MiB on disk (docs/DECISIONS.md "Writing work tables"). Dictionary, RLE and integer
    compressions stay on; marts are not affected. The setting is global to the DuckDB
    instance, so a model building alongside in another thread may be written the same
    way: it changes size and speed, never content. Other engines: nothing.
-#}
{% macro chorus_fast_write() -%}
    {{ return(adapter.dispatch('chorus_fast_write', 'chorus')()) }}
{%- endmacro %}

{% macro default__chorus_fast_write() -%}
{%- endmacro %}

{% macro duckdb__chorus_fast_write() -%}
    set disabled_compression_methods = 'fsst,dict_fsst'
{%- endmacro %}


{% macro chorus_fast_write_end() -%}
    {{ return(adapter.dispatch('chorus_fast_write_end', 'chorus')()) }}
{%- endmacro %}

{% macro default__chorus_fast_write_end() -%}
{%- endmacro %}

{% macro duckdb__chorus_fast_write_end() -%}
    reset disabled_compression_methods
{%- endmacro %}
