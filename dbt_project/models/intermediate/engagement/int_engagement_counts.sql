-- One row per (customer, channel) the customer was sent marketing messages on: messages
-- sent and delivered, how many of the delivered ones were opened (opened, or clicked: a
-- click proves the open), clicked, replied to and engaged with (the channel's
-- engagement_event in channel_policy), and the last open, click or reply. Messages to
-- shared or junk identifiers have no customer and count for nobody; transactional
-- messages are opened for other reasons and stay out. The trials and successes of every
-- rate in customer_engagement and of the priors' fit (int_engagement_priors).
-- Per customer (int_engagement_batches): an incremental batch rewrites the customers in
-- its scope.
{{ config(
    materialized=chorus_scoped_materialization_name(),
    chorus_customer_scoped=true,
    chorus_scope_reasons=['structure', 'contacts'],
) }}

with

contacts as (

    select
        customer_id,
        channel,
        opened_at,
        clicked_at,
        replied_at,
        engaged_at,
        delivered_at
    from {{ ref('contacts') }}
    where
        customer_id is not null
        and purpose = 'marketing'
        and {{ chorus_in_scope('customer_id') }}

),

final as (

    select
        customer_id,
        channel,
        cast(count(*) as bigint) as sent,
        cast(sum(case when delivered_at is not null then 1 else 0 end) as bigint) as delivered,
        cast(sum(case
            when delivered_at is not null and (opened_at is not null or clicked_at is not null)
                then 1
            else 0
        end) as bigint) as opened,
        cast(sum(
            case when delivered_at is not null and clicked_at is not null then 1 else 0 end
        ) as bigint) as clicked,
        cast(sum(
            case when delivered_at is not null and replied_at is not null then 1 else 0 end
        ) as bigint) as replied,
        cast(sum(
            case when delivered_at is not null and engaged_at is not null then 1 else 0 end
        ) as bigint) as engaged,
        -- greatest() skips nulls on DuckDB, PostgreSQL and Spark
        max(greatest(opened_at, clicked_at, replied_at)) as last_engaged_at
    from contacts
    group by 1, 2

)

select * from final
