-- One row per suppression ever started: every customer event of
-- int_engagement_triggers that a rule of the suppression_rules seed reacts to, with the
-- rule's scope, the scope value (the product or category bought for `from_trigger`)
-- and its window. A rule with duration_days ends that many days after its trigger; one
-- without lasts until undone: an unsubscribe or a STOP until the next opt-in on that
-- channel (int_consent_signals), a hard bounce while the channel stays unreachable
-- (int_consent_reachability). negative_chat and low_csat fire at or below the rule's
-- trigger_threshold.
-- Per customer (int_engagement_batches): an incremental batch rewrites the customers in
-- its scope.
{{ config(
    materialized=chorus_scoped_materialization_name(),
    chorus_customer_scoped=true,
    chorus_scope_reasons=[
        'structure', 'orders', 'complaints', 'tickets', 'trigger_events', 'consent', 'bounces',
    ],
) }}

with

rules as (

    select * from {{ ref('suppression_rules') }}

),

triggers as (

    select
        case
            when trigger_event = 'chat_message' then 'negative_chat'
            when trigger_event = 'csat' then 'low_csat'
            else trigger_event
        end as trigger_event,
        source_event_id,
        customer_id,
        occurred_at,
        product_id,
        category,
        score
    from {{ ref('int_engagement_triggers') }}
    where {{ chorus_in_scope('customer_id') }}

),

bounces as (

    select
        'hard_bounce' as trigger_event,
        {{ dbt.concat(["customer_id", "'-'", "channel", "'-bounced'"]) }} as source_event_id,
        customer_id,
        last_bounced_at as occurred_at,
        cast(null as {{ dbt.type_string() }}) as product_id,
        cast(null as {{ dbt.type_string() }}) as category,
        cast(null as {{ chorus_type_double() }}) as score
    from {{ ref('int_consent_reachability') }}
    where is_bounced and channel = 'email' and {{ chorus_in_scope('customer_id') }}

),

events as (

    select * from triggers
    union all
    select * from bounces

),

matched as (

    select
        events.customer_id,
        rules.rule_id,
        rules.trigger,
        rules.scope,
        rules.exempt_objectives,
        rules.duration_days,
        rules.description,
        events.source_event_id,
        events.occurred_at as starts_at,
        case
            when rules.scope_value <> 'from_trigger' then rules.scope_value
            when rules.scope = 'product' then events.product_id
            when rules.scope = 'category' then events.category
        end as scope_value
    from events
    inner join rules
        on events.trigger_event = rules.trigger
    where
        rules.trigger_threshold is null
        or events.score <= rules.trigger_threshold

),

opt_ins as (

    select
        customer_id,
        channel,
        occurred_at
    from {{ ref('int_consent_signals') }}
    where
        customer_id is not null
        and status = 'opted_in'
        and purpose = 'marketing'
        and {{ chorus_in_scope('customer_id') }}

),

undone as (

    -- the first opt-in on the suppressed channel after an unsubscribe or a STOP
    select
        matched.customer_id,
        matched.rule_id,
        matched.source_event_id,
        min(opt_ins.occurred_at) as undone_at
    from matched
    inner join opt_ins
        on
            matched.customer_id = opt_ins.customer_id
            and matched.scope_value = opt_ins.channel
            and matched.starts_at < opt_ins.occurred_at
    where matched.trigger in ('email_unsubscribe', 'sms_stop')
    group by 1, 2, 3

),

final as (

    select
        matched.customer_id,
        matched.rule_id,
        matched.scope,
        matched.scope_value,
        matched.exempt_objectives,
        matched.description as reason,
        matched.source_event_id,
        matched.starts_at,
        case
            when matched.duration_days is not null
                then {{ dbt.dateadd('day', 'matched.duration_days', 'matched.starts_at') }}
            else undone.undone_at
        end as ends_at
    from matched
    left join undone
        on
            matched.customer_id = undone.customer_id
            and matched.rule_id = undone.rule_id
            and matched.source_event_id = undone.source_event_id
    where matched.scope_value is not null

)

select * from final
