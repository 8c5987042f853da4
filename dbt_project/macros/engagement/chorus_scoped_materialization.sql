{#-
    The materialization of the per-customer engagement and customer models
    (docs/DECISIONS.md "Engagement in batches"). A full build creates the table whole
    (into an intermediate table, swapped in, as dbt's table materialization does); an
    incremental batch runs the pre-hook that deletes the scope's rows
    (chorus_scope_delete) and inserts the model's rows straight into the table. dbt's
    incremental materialization would first write them to a temporary table and copy
    them over (it needs that to compare schemas and to merge on a key), which costs a
    second write of every row; here neither is needed: rows are only appended, and a
    new version of a model rebuilds it whole (the settings checksum of
    int_engagement_batches). Column comments are written on a full build only.
    Engines that cannot delete rows (Spark) build these models as plain tables
    (chorus_scoped_materialization_name).
-#}
{% materialization chorus_scoped, default %}

    {%- set existing_relation = load_cached_relation(this) -%}
    {%- set target_relation = this.incorporate(type='table') -%}
    {%- set full_build = not chorus_is_scoped_build() -%}
    {%- set intermediate_relation = make_intermediate_relation(target_relation) -%}
    {%- set backup_relation = make_backup_relation(
        target_relation, existing_relation.type if existing_relation is not none else 'table'
    ) -%}
    {{ drop_relation_if_exists(load_cached_relation(intermediate_relation)) }}
    {{ drop_relation_if_exists(load_cached_relation(backup_relation)) }}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    -- BEGIN happens here
    {{ run_hooks(pre_hooks, inside_transaction=True) }}

    {% if full_build %}
        {% call statement('main') -%}
            {{ get_create_table_as_sql(False, intermediate_relation, sql) }}
        {%- endcall %}
        {% if existing_relation is not none %}
            {% do adapter.rename_relation(existing_relation, backup_relation) %}
        {% endif %}
        {% do adapter.rename_relation(intermediate_relation, target_relation) %}
    {% else %}
        {%- set columns = adapter.get_columns_in_relation(existing_relation)
            | map(attribute='quoted') | join(', ') -%}
        {% call statement('main') -%}
            insert into {{ target_relation }} ({{ columns }})
            select {{ columns }}
            from (
                {{ sql }}
            ) as model_rows
        {%- endcall %}
    {% endif %}

    {% if full_build %}
        {% do persist_docs(target_relation, model) %}
    {% endif %}

    {{ run_hooks(post_hooks, inside_transaction=True) }}
    -- COMMIT happens here
    {% do adapter.commit() %}

    {{ drop_relation_if_exists(backup_relation) }}
    {{ run_hooks(post_hooks, inside_transaction=False) }}

    {{ return({'relations': [target_relation]}) }}

{% endmaterialization %}
