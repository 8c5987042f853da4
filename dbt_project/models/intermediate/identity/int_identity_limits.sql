-- One row per (identifier type, counted type): the identity_rules seed's limits with the
-- '|'-separated counted_by list split into rows. When several limits of a type count
-- the same type, the strictest wins.
with

rules as (

    select * from {{ ref('identity_rules') }}

),

known_types as (

    {% for identifier_type in chorus_identity_types() -%}
        select '{{ identifier_type }}' as identifier_type
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

split as (

    select
        rules.identifier_type,
        known_types.identifier_type as counted_type,
        rules.max_linked
    from rules
    inner join known_types
        on
            {{ dbt.concat(["'|'", 'rules.counted_by', "'|'"]) }}
            like {{ dbt.concat(["'%|'", 'known_types.identifier_type', "'|%'"]) }}
    where rules.counted_by is not null

),

final as (

    select
        identifier_type,
        counted_type,
        min(max_linked) as max_linked
    from split
    group by 1, 2

)

select * from final
