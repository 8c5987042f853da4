{#-
    A checksum of the SQL files of this project's models carrying any of `tags` (the
    file checksums dbt keeps, in name order): it changes when a new Chorus version
    changes one of them, so a model set that keeps state between builds (identity
    batches, engagement batches) rebuilds whole instead of appending rows the old code
    shaped. Macros are not in dbt's `graph`, so a change to a macro alone still needs
    --full-refresh. '' at parse time.
-#}
{% macro chorus_models_checksum(tags) -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set parts = [] -%}
    {%- for node in graph.nodes.values() | sort(attribute='name')
        if node.resource_type == 'model' and node.package_name == project_name
        and (node.tags or []) | select('in', tags) | list | length > 0 -%}
        {%- do parts.append(node.name ~ ':' ~ node.checksum.checksum) -%}
    {%- endfor -%}
    {{ return(local_md5(parts | join(';'))) }}
{%- endmacro %}
