{#-
    Custom schemas are used as written: staging models land in `staging`, marts in
    `marts`, seeds in `seeds` (dbt_project.yml), whatever the target's default schema.
    dbt's default would prefix them (`main_staging`), which breaks the public schema
    names that users' queries rely on (docs/marts.md). Nodes without a custom
    schema fall back to the target schema.
    Var chorus_schema_prefix (default '') is put before every custom schema: a scratch
    build beside the real one (`chorus identity-diff` builds into identity_diff_*).
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ var('chorus_schema_prefix', '') ~ (custom_schema_name | trim) }}
    {%- endif -%}
{%- endmacro %}
