-- One row per order with the customer it belongs to: the customer of its most trusted
-- identifier that resolved (user_id, then email, phone, device_id, anonymous_id). Shared
-- and junk identifiers resolve to no one, so a household email alone places no order.
with

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

identifiers as (

    select
        identifier_type,
        identifier_value,
        customer_id
    from {{ ref('customer_identifiers') }}
    where customer_id is not null

),

resolved as (

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
        coalesce(
            by_user.customer_id,
            by_email.customer_id,
            by_phone.customer_id,
            by_device.customer_id,
            by_cookie.customer_id
        ) as customer_id
    from orders
    left join identifiers as by_user
        on by_user.identifier_type = 'user_id' and orders.user_id = by_user.identifier_value
    left join identifiers as by_email
        on by_email.identifier_type = 'email' and orders.email = by_email.identifier_value
    left join identifiers as by_phone
        on by_phone.identifier_type = 'phone' and orders.phone = by_phone.identifier_value
    left join identifiers as by_device
        on
            by_device.identifier_type = 'device_id'
            and orders.device_id = by_device.identifier_value
    left join identifiers as by_cookie
        on
            by_cookie.identifier_type = 'anonymous_id'
            and orders.anonymous_id = by_cookie.identifier_value

),

final as (

    select * from resolved

)

select * from final
