-- One row per customer: for each channel of channel_policy, whether marketing there is
-- consented and reachable (customer_consent, purpose marketing, side by side), and how
-- many contact channels are both (open_contact_channels). customers shows the flags,
-- and customer_fatigue weighs the customer's contacts by them: one row per customer to
-- join on, not five per customer and channel.
-- Per customer (int_engagement_batches): an incremental batch rewrites the customers in
-- its scope.
{{ config(
    materialized=chorus_scoped_materialization_name(),
    chorus_customer_scoped=true,
    chorus_scope_reasons=['structure', 'bounces', 'consent', 'orders', 'soft_opt_in'],
) }}

{% set channels = chorus_channels('consent') %}

with

policy as (

    select
        channel,
        is_contact
    from {{ ref('channel_policy') }}

),

consent as (

    select
        consent.customer_id,
        consent.channel,
        consent.is_consented,
        consent.is_reachable,
        policy.is_contact
    from {{ ref('customer_consent') }} as consent
    inner join policy
        on consent.channel = policy.channel
    where consent.purpose = 'marketing' and {{ chorus_in_scope('consent.customer_id') }}

),

final as (

    select
        customer_id,
        {% for channel in channels -%}
            {{ dbt.bool_or("channel = '" ~ channel ~ "' and is_consented") }}
                as is_{{ channel }}_consented,
            {{ dbt.bool_or("channel = '" ~ channel ~ "' and is_reachable") }}
                as is_{{ channel }}_reachable,
        {% endfor -%}
        cast(sum(
            case when is_contact and is_consented and is_reachable then 1 else 0 end
        ) as bigint) as open_contact_channels
    from consent
    group by 1

)

select * from final
