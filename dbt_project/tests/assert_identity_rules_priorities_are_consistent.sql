-- identity_rules repeats a type's priority on each of its limits: every identifier type
-- must have exactly one priority, and two types must not share one, or the centre of a
-- record's links and the tie-break of a customer's anchor would depend on row order.
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

priorities as (

    select distinct
        identifier_type,
        priority
    from rules

),

types_without_rules as (

    select
        known_types.identifier_type,
        'no row in identity_rules' as problem
    from known_types
    left join rules
        on known_types.identifier_type = rules.identifier_type
    where rules.identifier_type is null

),

types_with_several as (

    select
        identifier_type,
        'several priorities' as problem
    from priorities
    group by 1
    having count(*) > 1

),

shared_priorities as (

    select
        priority,
        'priority shared with another type' as problem,
        min(identifier_type) as identifier_type
    from priorities
    group by 1
    having count(*) > 1

),

final as (

    select * from types_without_rules
    union all
    select * from types_with_several
    union all
    select
        identifier_type,
        problem
    from shared_priorities

)

select * from final
