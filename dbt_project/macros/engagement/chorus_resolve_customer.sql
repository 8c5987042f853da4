{#-
    The customer of each row of `relation` that carries identifiers (an order, a ticket,
    a chat event, a page view): the customer of its most trusted identifier that
    resolved; shared and junk identifiers resolve to nobody, so the next one decides.
    A select of (`key`, customer_id), one row per resolved row, for a CTE of the model:

        resolved_orders as (
            {{ chorus_resolve_customer('orders', 'order_id', ['user_id', 'email']) }}
        ),

    relation            a CTE (or relation) of the model with `key` and the columns;
    key                 its unique key;
    identifier_columns  its identifier columns, most trusted first, each an
                        identifier_type of customer_identifiers or a pair
                        (identifier_type, column).
    The identifiers are unpivoted and joined once with customer_identifiers (one hash
    join, where a left join per column would read every identifier once per column). In
    an incremental build of a per-customer model only the rows of the batch's scope are
    resolved: the rows carrying an identifier of a customer in scope, whose customer is
    in scope (chorus_in_scope).
-#}
{% macro chorus_resolve_customer(relation, key, identifier_columns) -%}
    {%- set tagged -%}
        {%- for entry in identifier_columns -%}
            {%- set identifier_type, column = (entry, entry) if entry is string else entry %}
            select
                {{ key }},
                {{ loop.index }} as trust_rank,
                '{{ identifier_type }}' as identifier_type,
                {{ column }} as identifier_value
            from {{ relation }}
            where {{ column }} is not null
            {% if not loop.last %}union all{% endif %}
        {%- endfor -%}
    {%- endset -%}
    {%- set scoped = chorus_is_scoped_build() -%}
    {#- resolved at parse time too, so dbt knows the dependency -#}
    {%- set scope_identifiers = chorus_scoped_identifiers() -%}
    select
        ranked.{{ key }},
        ranked.customer_id
    from (
        with

        tagged_rows as (
            {{ tagged }}
        ),

        {% if scoped -%}
        -- the rows carrying an identifier of a customer in scope, and their identifiers:
        -- materialized, so the planner knows how few they are when it looks them up
        -- among every identifier (it hashed every row's identifiers otherwise)
        tagged as materialized (
            select *
            from tagged_rows
            where {{ key }} in (
                select in_scope.{{ key }}
                from tagged_rows as in_scope
                inner join {{ scope_identifiers }} as scope_identifiers
                    on
                        in_scope.identifier_type = scope_identifiers.identifier_type
                        and in_scope.identifier_value = scope_identifiers.identifier_value
            )
        ),
        {%- else -%}
        tagged as (
            select * from tagged_rows
        ),
        {%- endif %}

        looked_up as (
            select
                tagged.{{ key }},
                identifiers.customer_id,
                row_number() over (
                    partition by tagged.{{ key }}
                    order by tagged.trust_rank
                ) as trust_order
            from tagged
            inner join {{ ref('customer_identifiers') }} as identifiers
                on
                    tagged.identifier_type = identifiers.identifier_type
                    and tagged.identifier_value = identifiers.identifier_value
            where identifiers.customer_id is not null
        )

        select * from looked_up
    ) as ranked
    where ranked.trust_order = 1 and {{ chorus_in_scope('ranked.customer_id') }}
{%- endmacro %}
