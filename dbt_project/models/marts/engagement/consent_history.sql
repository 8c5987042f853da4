-- One row per change of a customer's consent on a channel and purpose: every signal of
-- int_consent_signals (channel `all` counted on each channel) whose status differs
-- from the one before it, in time order, with that earlier status. The order is the
-- one customer_consent uses (time, then an opt-out first, then the source event id),
-- so the last row of a (customer, channel, purpose) is its current signal.
-- Per customer (int_engagement_batches): an incremental batch rewrites the customers in
-- its scope.
{{ config(
    materialized=chorus_scoped_materialization_name(),
    chorus_customer_scoped=true,
    chorus_scope_reasons=['structure', 'consent'],
) }}

with

signals as (

    select * from {{ ref('int_consent_signals') }}
    where customer_id is not null and {{ chorus_in_scope('customer_id') }}

),

channels as (

    select channel from {{ ref('channel_policy') }}

),

per_channel as (

    select
        signals.customer_id,
        channels.channel,
        signals.purpose,
        signals.status,
        signals.source,
        signals.source_event_id,
        signals.channel as signal_channel,
        signals.occurred_at
    from signals
    inner join channels
        on signals.channel = channels.channel or signals.channel = 'all'

),

sequenced as (

    select
        *,
        lag(status) over (
            partition by customer_id, channel, purpose
            order by
                occurred_at,
                case when status = 'opted_out' then 1 else 0 end,
                source_event_id
        ) as previous_status
    from per_channel

),

final as (

    select
        customer_id,
        channel,
        purpose,
        status,
        previous_status,
        source,
        source_event_id,
        signal_channel,
        occurred_at as changed_at
    from sequenced
    where previous_status is null or previous_status <> status

)

select * from final
