-- One row per (customer, channel, purpose): may Chorus message this customer there, and
-- why. The latest signal wins (int_consent_signals; channel `all` counts for every
-- channel); at the same instant an opt-out beats an opt-in, then the larger source
-- event id decides, so the answer never depends on row order. With no signal,
-- channel_policy's default for the purpose applies: opted_in, soft_opt_in (a completed
-- order within soft_opt_in_days of as_of) or requires_opt_in; for a transactional
-- message a marketing opt-in on the channel also counts. A channel whose recent
-- messages bounced is unreachable (int_consent_reachability): not an opt-out, and
-- consent returns with the next delivery.
-- Per customer (int_engagement_batches): an incremental batch rewrites the customers in
-- its scope (a soft opt-in that lapses with as_of puts its customer there).
{{ config(
    materialized=chorus_scoped_materialization_name(),
    chorus_customer_scoped=true,
    chorus_scope_reasons=['structure', 'bounces', 'consent', 'orders', 'soft_opt_in'],
) }}

with

customer_list as (

    select distinct identifiers.customer_id
    from {{ chorus_scoped_identifiers() }} as identifiers
    where identifiers.customer_id is not null

),

policy as (

    select * from {{ ref('channel_policy') }}

),

signals as (

    -- channel `all` counts for every channel of the policy
    select
        signals.customer_id,
        policy.channel,
        signals.purpose,
        signals.status,
        signals.source,
        signals.source_event_id,
        signals.occurred_at
    from {{ ref('int_consent_signals') }} as signals
    inner join policy
        on signals.channel = policy.channel or signals.channel = 'all'
    where signals.customer_id is not null and {{ chorus_in_scope('signals.customer_id') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by customer_id, channel, purpose
            order by
                occurred_at desc,
                case when status = 'opted_out' then 0 else 1 end,
                source_event_id desc
        ) as signal_rank
    from signals

),

-- the latest signal of each purpose, side by side: one row per (customer, channel)
latest as (

    -- noqa: disable=LT01,LT02
    select
        customer_id,
        channel,
    {% for purpose in ['marketing', 'transactional'] -%}
        {% for column in ['status', 'source', 'source_event_id', 'occurred_at'] -%}
        max(case when purpose = '{{ purpose }}' then {{ column }} end)
            as {{ purpose }}_{{ column }}{{ "," if not loop.last }}
        {% endfor %}{{ "," if not loop.last }}
    {% endfor %}
    from ranked
    -- noqa: enable=LT01,LT02
    where signal_rank = 1
    group by 1, 2

),

-- reachability side by side, one row per customer: the grid below joins it on the
-- customer alone (a join on customer and channel hashed the whole grid)
reachability as (

    select
        {% for channel in chorus_channels('consent') -%}
            max(case when channel = '{{ channel }}' then identifier_count end)
                as {{ channel }}_identifier_count,
            {{ dbt.bool_or("channel = '" ~ channel ~ "' and is_bounced") }}
                as {{ channel }}_is_bounced,
            max(case when channel = '{{ channel }}' then last_bounced_at end)
                as {{ channel }}_last_bounced_at,
        {% endfor -%}
        customer_id
    from {{ ref('int_consent_reachability') }}
    where {{ chorus_in_scope('customer_id') }}
    -- customer_id, after three columns per channel
    group by {{ (chorus_channels('consent') | length) * 3 + 1 }}

),

last_purchase as (

    select
        customer_id,
        max(ordered_at) as last_purchase_at
    from {{ ref('int_orders_resolved') }}
    where status = 'completed' and {{ chorus_in_scope('customer_id') }}
    group by 1

),

-- what decides consent per customer, side by side, before the grid of channels: every
-- join of the grid is then on one customer row
customer_rows as (

    select
        customer_list.customer_id,
        {% for channel in chorus_channels('consent') -%}
            reachability.{{ channel }}_identifier_count,
            reachability.{{ channel }}_is_bounced,
            reachability.{{ channel }}_last_bounced_at,
        {% endfor -%}
        last_purchase.last_purchase_at
    from customer_list
    left join last_purchase
        on customer_list.customer_id = last_purchase.customer_id
    left join reachability
        on customer_list.customer_id = reachability.customer_id

),

by_channel as (

    select
        customer_rows.customer_id,
        policy.channel,
        policy.soft_opt_in_days,
        policy.marketing_consent_default,
        policy.transactional_consent_default,
        latest.marketing_status,
        latest.marketing_source,
        latest.marketing_source_event_id,
        latest.marketing_occurred_at,
        latest.transactional_status,
        latest.transactional_source,
        latest.transactional_source_event_id,
        latest.transactional_occurred_at,
        customer_rows.last_purchase_at,
        customer_rows.last_purchase_at > {{ dbt.dateadd(
            'day', '-policy.soft_opt_in_days', chorus_as_of()
        ) }} as has_recent_purchase,
        -- the channel's reachability, from the customer's row
        coalesce({{ chorus_channel_column('customer_rows', 'identifier_count') }}, 0) > 0
            as has_identifier,
        coalesce({{ chorus_channel_column('customer_rows', 'is_bounced') }}, false)
            as is_bounced,
        {{ chorus_channel_column('customer_rows', 'last_bounced_at') }} as last_bounced_at
    from customer_rows
    cross join policy
    left join latest
        on customer_rows.customer_id = latest.customer_id and policy.channel = latest.channel

),

purposes as (

    select 'marketing' as purpose
    union all
    select 'transactional' as purpose

),

decided as (

    select
        by_channel.customer_id,
        by_channel.channel,
        purposes.purpose,
        by_channel.marketing_source,
        by_channel.marketing_source_event_id,
        by_channel.marketing_occurred_at as marketing_signal_at,
        by_channel.last_purchase_at,
        by_channel.has_identifier,
        by_channel.is_bounced,
        by_channel.last_bounced_at,
        case
            when purposes.purpose = 'marketing' then by_channel.marketing_status
            else by_channel.transactional_status
        end as signal_status,
        case
            when purposes.purpose = 'marketing' then by_channel.marketing_source
            else by_channel.transactional_source
        end as signal_source,
        case
            when purposes.purpose = 'marketing' then by_channel.marketing_source_event_id
            else by_channel.transactional_source_event_id
        end as source_event_id,
        case
            when purposes.purpose = 'marketing' then by_channel.marketing_occurred_at
            else by_channel.transactional_occurred_at
        end as signal_at,
        case
            when purposes.purpose = 'marketing' then by_channel.marketing_consent_default
            else by_channel.transactional_consent_default
        end as consent_default,
        -- a transactional message needs less than a marketing one: with no signal of
        -- its own, a marketing opt-in on the channel covers it (an opt-out does not)
        case when purposes.purpose = 'transactional' then by_channel.marketing_status end
            as marketing_status,
        case
            when purposes.purpose = 'marketing' then by_channel.marketing_consent_default
            else by_channel.transactional_consent_default
        end = 'soft_opt_in' and by_channel.has_recent_purchase as has_soft_opt_in
    from by_channel
    cross join purposes

),

final as (

    select
        customer_id,
        channel,
        purpose,
        last_bounced_at,
        coalesce(
            signal_status = 'opted_in',
            consent_default = 'opted_in'
            or coalesce(has_soft_opt_in, false)
            or coalesce(marketing_status = 'opted_in', false)
        ) as is_consented,
        has_identifier and not is_bounced as is_reachable,
        case
            when signal_status = 'opted_out' then 'opted_out'
            when is_bounced then 'unreachable'
            when signal_status = 'opted_in' then 'opted_in'
            else 'default'
        end as status,
        case
            when signal_status = 'opted_out' then 'explicit_opt_out'
            when signal_status = 'opted_in' then 'explicit_opt_in'
            when consent_default = 'opted_in' then 'policy_allows_until_opt_out'
            when has_soft_opt_in then 'soft_opt_in_from_purchase'
            when marketing_status = 'opted_in' then 'implied_by_marketing_opt_in'
            else 'no_opt_in'
        end as basis,
        case
            when signal_status is not null then signal_source
            when has_soft_opt_in then 'purchase'
            when marketing_status = 'opted_in' then marketing_source
            else 'channel_policy'
        end as source,  -- noqa: RF04
        case
            when signal_status is not null then source_event_id
            when has_soft_opt_in then null
            when marketing_status = 'opted_in' then marketing_source_event_id
        end as source_event_id,
        case
            when signal_status is not null then signal_at
            when has_soft_opt_in then last_purchase_at
            when marketing_status = 'opted_in' then marketing_signal_at
        end as changed_at
    from decided

)

select * from final
