-- One row per (audience, customer): the members of every audience model
-- (models/marts/audiences, the list in chorus_audiences()), with when the customer
-- last entered the audience (qualified_at).

{% for audience in chorus_audiences() -%}
    select
        '{{ audience }}' as audience,
        customer_id,
        qualified_at
    from {{ ref('audience_' ~ audience) }}
    {% if not loop.last %}union all{% endif %}
{% endfor %}
