-- One row per active suppression as of `as_of`: a (customer, rule, scope value) whose
-- window holds as_of (started, and not ended or ending later). When a rule fired
-- several times for the same scope value (three orders of one product), the row is the
-- one that ends last (no end = latest), so each suppression shows once with the end
-- that counts. History: int_suppression_history.
-- Per customer (int_engagement_batches): an incremental batch rewrites the customers in
-- its scope (a suppression that starts or ends with as_of puts its customer there).
{{ config(
    materialized=chorus_scoped_materialization_name(),
    chorus_customer_scoped=true,
    chorus_scope_reasons=[
        'structure', 'orders', 'complaints', 'tickets', 'trigger_events', 'consent', 'bounces',
        'suppression_windows',
    ],
) }}

{% set as_of = chorus_as_of() %}

with

active as (

    select *
    from {{ ref('int_suppression_history') }}
    where
        {{ chorus_in_scope('customer_id') }}
        and starts_at <= {{ as_of }}
        and (ends_at is null or ends_at > {{ as_of }})

),

ranked as (

    select
        *,
        row_number() over (
            partition by customer_id, rule_id, scope, scope_value
            order by
                case when ends_at is null then 0 else 1 end,
                ends_at desc,
                starts_at desc,
                source_event_id desc
        ) as suppression_rank
    from active

),

final as (

    select
        {{ dbt.concat(["customer_id", "'-'", "rule_id", "'-'", "scope_value"]) }}
            as suppression_id,
        customer_id,
        rule_id,
        scope,
        scope_value,
        exempt_objectives,
        reason,
        source_event_id,
        starts_at,
        ends_at
    from ranked
    where suppression_rank = 1

)

select * from final
