-- One row per order placed by a resolved customer, with that customer: the customer of
-- its most trusted identifier that resolved (user_id, then email, phone, device_id,
-- anonymous_id; chorus_resolve_customer). Shared and junk identifiers resolve to no
-- one, so a household email alone places no order.
-- Per customer (int_engagement_batches): an incremental batch rewrites the orders of
-- the customers in its scope.
{{ config(
    materialized=chorus_scoped_materialization_name(),
    chorus_customer_scoped=true,
    chorus_scope_reasons=['structure', 'orders'],
) }}

with

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

resolved as (

    {{ chorus_resolve_customer(
        'orders', 'order_id', ['user_id', 'email', 'phone', 'device_id', 'anonymous_id']
    ) }}

),

final as (

    select
        orders.order_id,
        orders.user_id,
        orders.email,
        orders.phone,
        orders.anonymous_id,
        orders.device_id,
        orders.status,
        orders.currency,
        orders.order_total,
        orders.sales_channel,
        orders.ordered_at,
        resolved.customer_id
    from orders
    inner join resolved
        on orders.order_id = resolved.order_id

)

select * from final
