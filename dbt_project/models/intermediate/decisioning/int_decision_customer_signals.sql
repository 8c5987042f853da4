-- One row per customer (customers): what the audiences and the priority score read of
-- them as of as_of: when they were first seen and last bought (completed orders), their
-- last cart addition, product view and app event in the behaviour window, and whether
-- they bought after that cart.

with

behaviour as (

    select
        customer_id,
        max(case when event_type = 'add_to_cart' then last_occurred_at end) as last_cart_at,
        max(case when event_type = 'product_view' then last_occurred_at end)
            as last_product_view_at,
        max(case when event_source = 'app' then last_occurred_at end) as last_app_event_at
    from {{ ref('int_decision_behaviour') }}
    group by 1

),

customers as (

    select
        customer_id,
        is_known,
        first_seen_at,
        order_count,
        first_order_at,
        last_order_at
    from {{ ref('customers') }}

),

final as (

    select
        customers.customer_id,
        customers.is_known,
        customers.first_seen_at,
        customers.order_count,
        customers.first_order_at,
        customers.last_order_at,
        behaviour.last_cart_at,
        behaviour.last_product_view_at,
        behaviour.last_app_event_at,
        coalesce(customers.last_order_at >= behaviour.last_cart_at, false) as bought_after_cart
    from customers
    left join behaviour
        on customers.customer_id = behaviour.customer_id

)

select * from final
