-- One row per resolved customer as of `as_of`: the profile (int_customer_profiles:
-- contact points, activity, orders, revenue, lifecycle stage) with, per channel, the
-- marketing consent (customer_consent), the smoothed engagement rate and the peak local
-- hour (customer_engagement), and the preferred channel: the highest engagement rate
-- among the channels the customer consents to and can be reached on (the earlier
-- channel of the list below on a tie); null when there is none.
-- Per customer (int_engagement_batches): an incremental batch rewrites the customers in
-- its scope.
{{ config(
    materialized=chorus_scoped_materialization_name(),
    chorus_customer_scoped=true,
    chorus_scope_reasons=[
        'identifiers', 'structure', 'contacts', 'bounces', 'consent', 'orders', 'crm',
        'lifecycle', 'soft_opt_in',
    ],
) }}

{% set consent_channels = chorus_channels('consent') %}
{% set contact_channels = chorus_channels('contact') %}

with

profiles as (

    select * from {{ ref('int_customer_profiles') }}
    where {{ chorus_in_scope('customer_id') }}

),

consent as (

    select * from {{ ref('int_customer_consent_flags') }}
    where {{ chorus_in_scope('customer_id') }}

),

engagement as (

    select * from {{ ref('customer_engagement') }}
    where {{ chorus_in_scope('customer_id') }}

),

rates as (

    -- noqa: disable=LT01,LT02
    select
        customer_id,
    {% for channel in contact_channels -%}
        max(case when channel = '{{ channel }}' then engagement_rate end)
            as {{ channel }}_engagement_rate,
        max(case when channel = '{{ channel }}' then peak_hour_local end)
            as {{ channel }}_peak_hour_local{{ "," if not loop.last }}
    
{% endfor %}
    from engagement
    -- noqa: enable=LT01,LT02
    group by 1

),

preferred as (

    select
        engagement.customer_id,
        engagement.channel,
        row_number() over (
            partition by engagement.customer_id
            order by
                engagement.engagement_rate desc,
                case engagement.channel
                    {% for channel in contact_channels -%}
                        when '{{ channel }}' then {{ loop.index }}
                    {% endfor %}
                end
        ) as channel_rank
    from engagement
    inner join consent
        on engagement.customer_id = consent.customer_id
    where
        engagement.engagement_rate is not null
        and case engagement.channel
            {% for channel in contact_channels -%}
                when '{{ channel }}'
                    then consent.is_{{ channel }}_consented and consent.is_{{ channel }}_reachable
            {% endfor %}
        end

),

final as (

    select
        -- every column of int_customer_profiles (documented in the YAML)
        profiles.*,
        {% for channel in consent_channels -%}
            coalesce(consent.is_{{ channel }}_consented, false) as is_{{ channel }}_consented,
            coalesce(consent.is_{{ channel }}_reachable, false) as is_{{ channel }}_reachable,
        {% endfor %}
        {% for channel in contact_channels -%}
            rates.{{ channel }}_engagement_rate,
            rates.{{ channel }}_peak_hour_local,
        {% endfor %}
        preferred.channel as preferred_channel
    from profiles
    left join consent
        on profiles.customer_id = consent.customer_id
    left join rates
        on profiles.customer_id = rates.customer_id
    left join preferred
        on profiles.customer_id = preferred.customer_id and preferred.channel_rank = 1

)

select * from final  -- noqa: AM04
