-- No text column of a seed holds the string 'None': that is how a missing value reads
-- when a loader writes Python's None into the SQL (dbt-spark's session loader did: an
-- empty trunk prefix became the prefix 'None', empty campaign fields 'None'), and no
-- seed means the word. One row per (seed, column) that holds it, with the count.
{%- set seeds = ['campaigns', 'channel_policy', 'country_calling_codes', 'identity_blocklist', 'identity_rules', 'journey_steps', 'suppression_rules'] %}
{%- if execute %}
    {#- a seed added to the project but not to the list above fails here, not silently -#}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'seed' and node.package_name == project_name
        and node.name not in seeds %}
        {{ exceptions.raise_compiler_error(
            "tests/assert_seeds_hold_no_none_text.sql: add seed " ~ node.name ~ " to its list"
        ) }}
    {%- endfor %}
{%- endif %}
{%- set checks = [] %}
{%- for seed_name in seeds %}
    {#- ref() for the lineage; a build that selects only some seeds (`--select +customers`)
        still runs this test, so a seed not built yet is skipped, not an error -#}
    {%- set relation = ref(seed_name) %}
    {%- set relation = load_relation(relation) if execute else relation %}
    {%- set seed_node = graph.nodes.get('seed.' ~ project_name ~ '.' ~ seed_name) if execute and relation is not none else none %}
    {%- set column_types = (seed_node.config.column_types if seed_node else {}) or {} %}
    {%- for column_name, column_type in column_types.items()
        if (column_type | lower) in ['varchar', 'text', 'string'] %}
        {%- do checks.append(
            "select '" ~ seed_name ~ "' as seed_name, '" ~ column_name ~ "' as column_name,"
            ~ " count(*) as none_values from " ~ relation
            ~ " where " ~ column_name ~ " = 'None'"
        ) %}
    {%- endfor %}
{%- endfor %}

with

none_values as (

    {% if checks | length > 0 -%}
        {{ checks | join('\n    union all\n    ') }}
    {%- else -%}
        select
            cast(null as {{ dbt.type_string() }}) as seed_name,
            cast(null as {{ dbt.type_string() }}) as column_name,
            0 as none_values
    {%- endif %}

)

select *
from none_values
where none_values > 0
