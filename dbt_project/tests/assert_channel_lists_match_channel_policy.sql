-- The channel lists of macro chorus_channels, which the models that lay channels side
-- by side (customers, int_customer_consent_flags, customer_consent, customer_fatigue)
-- are written with, must be the channels of the channel_policy seed: a channel added to
-- the seed and not to the lists would get no column there. Returns the channels that
-- differ.

with

listed as (

    {% for kind in ['consent', 'contact'] -%}
        {% for channel in chorus_channels(kind) -%}
            select '{{ kind }}' as kind, '{{ channel }}' as channel
            {% if not loop.last %}union all{% endif %}
        {% endfor %}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

seeded as (

    select
        'consent' as kind,
        channel
    from {{ ref('channel_policy') }}
    union all
    select
        'contact' as kind,
        channel
    from {{ ref('channel_policy') }}
    where is_contact

),

only_listed as (

    select * from listed
    except
    select * from seeded

),

only_seeded as (

    select * from seeded
    except
    select * from listed

)

select 'missing from channel_policy' as problem, only_listed.* from only_listed
union all
select 'missing from chorus_channels' as problem, only_seeded.* from only_seeded
