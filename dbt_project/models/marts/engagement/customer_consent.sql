-- One row per (customer, channel, purpose): may Chorus message this customer there, and
-- why. The latest signal wins (int_consent_signals; channel `all` counts for every
-- channel); at the same instant an opt-out beats an opt-in, then the larger source
-- event id decides, so the answer never depends on row order. With no signal,
-- channel_policy's default for the purpose applies: opted_in, soft_opt_in (a completed
-- order within soft_opt_in_days of as_of) or requires_opt_in; for a transactional
-- message a marketing opt-in on the channel also counts. A channel whose recent
-- messages bounced is unreachable (int_consent_reachability): not an opt-out, and
-- consent returns with the next delivery.

with

customer_list as (

    select distinct customer_id
    from {{ ref('customer_identifiers') }}
    where customer_id is not null

),

policy as (

    select * from {{ ref('channel_policy') }}

),

purposes as (

    select 'marketing' as purpose
    union all
    select 'transactional' as purpose

),

grid as (

    select
        customer_list.customer_id,
        policy.channel,
        purposes.purpose,
        policy.soft_opt_in_days,
        case
            when purposes.purpose = 'marketing' then policy.marketing_consent_default
            else policy.transactional_consent_default
        end as consent_default
    from customer_list
    cross join policy
    cross join purposes

),

signals as (

    select * from {{ ref('int_consent_signals') }}
    where customer_id is not null

),

ranked as (

    select
        grid.customer_id,
        grid.channel,
        grid.purpose,
        signals.status,
        signals.source,
        signals.source_event_id,
        signals.occurred_at,
        row_number() over (
            partition by grid.customer_id, grid.channel, grid.purpose
            order by
                signals.occurred_at desc,
                case when signals.status = 'opted_out' then 0 else 1 end,
                signals.source_event_id desc
        ) as signal_rank
    from grid
    inner join signals
        on
            grid.customer_id = signals.customer_id
            and grid.purpose = signals.purpose
            and (grid.channel = signals.channel or signals.channel = 'all')

),

latest as (

    select * from ranked
    where signal_rank = 1

),

last_purchase as (

    select
        customer_id,
        max(ordered_at) as last_purchase_at
    from {{ ref('int_orders_resolved') }}
    where customer_id is not null and status = 'completed'
    group by 1

),

decided as (

    select
        grid.customer_id,
        grid.channel,
        grid.purpose,
        latest.status as signal_status,
        latest.source as signal_source,
        latest.source_event_id,
        latest.occurred_at as signal_at,
        grid.consent_default,
        -- a transactional message needs less than a marketing one: with no signal of
        -- its own, a marketing opt-in on the channel covers it (an opt-out does not)
        case when grid.purpose = 'transactional' then marketing.status end
            as marketing_status,
        marketing.source as marketing_source,
        marketing.source_event_id as marketing_source_event_id,
        marketing.occurred_at as marketing_signal_at,
        last_purchase.last_purchase_at,
        grid.consent_default = 'soft_opt_in'
        and last_purchase.last_purchase_at > {{ dbt.dateadd(
            'day', '-grid.soft_opt_in_days', chorus_as_of()
        ) }} as has_soft_opt_in,
        coalesce(reachability.identifier_count, 0) > 0 as has_identifier,
        coalesce(reachability.is_bounced, false) as is_bounced,
        reachability.last_bounced_at
    from grid
    left join latest
        on
            grid.customer_id = latest.customer_id
            and grid.channel = latest.channel
            and grid.purpose = latest.purpose
    left join latest as marketing
        on
            grid.customer_id = marketing.customer_id
            and grid.channel = marketing.channel
            and marketing.purpose = 'marketing'
    left join last_purchase
        on grid.customer_id = last_purchase.customer_id
    left join {{ ref('int_consent_reachability') }} as reachability
        on
            grid.customer_id = reachability.customer_id
            and grid.channel = reachability.channel

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
