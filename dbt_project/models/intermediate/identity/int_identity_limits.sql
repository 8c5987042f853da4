-- One row per (identifier type, counted type): the identity_rules seed's limits with the
-- '|'-separated counted_by list split into rows. When several limits of a type count
-- the same type, the strictest of each bound wins.
with

rules as (

    select * from {{ ref('identity_rules') }}

),

-- what a limit may count: identifier types and traits (chorus_identity_traits)
known_types as (

    {% for identifier_type in chorus_identity_types() + chorus_identity_traits() -%}
        select '{{ identifier_type }}' as identifier_type
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

split as (

    select
        rules.identifier_type,
        known_types.identifier_type as counted_type,
        rules.max_at_once,
        rules.max_over_time,
        rules.handover_days
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
        min(max_at_once) as max_at_once,
        min(max_over_time) as max_over_time,
        min(handover_days) as handover_days
    from split
    group by 1, 2

)

select * from final
