-- One row per order placed as of `as_of` (ordered_at <= as_of), in its latest exported
-- status. Orders carry no country: phones are read in var chorus_default_country.
with

source as (

    select * from {{ source('shop', 'orders') }}

),

-- reference lookup, one row per country: the only join staging does (it cannot fan out)
calling_codes as (

    select * from {{ ref('country_calling_codes') }}

),

renamed as (

    select
        trim(cast(order_id as {{ dbt.type_string() }})) as order_id,
        nullif(trim(cast(user_id as {{ dbt.type_string() }})), '') as user_id,
        {{ chorus_normalize_email('email') }} as email,
        phone as phone_raw,
        nullif(trim(cast(anonymous_id as {{ dbt.type_string() }})), '') as anonymous_id,
        nullif(trim(cast(device_id as {{ dbt.type_string() }})), '') as device_id,
        lower(trim(status)) as status,
        upper(nullif(trim(currency), '')) as currency,
        cast(order_total as decimal(18, 2)) as order_total,
        lower(nullif(trim(sales_channel), '')) as sales_channel,
        cast(ordered_at as {{ dbt.type_timestamp() }}) as ordered_at
    from source
    where ordered_at <= {{ chorus_as_of() }}

),

final as (

    select
        renamed.order_id,
        renamed.user_id,
        renamed.email,
        {{ chorus_sha256('renamed.email') }} as email_sha256,
        {{ chorus_phone_to_e164(
            'renamed.phone_raw', 'calling_codes.calling_code', 'calling_codes.trunk_prefix'
        ) }} as phone,
        renamed.anonymous_id,
        renamed.device_id,
        renamed.status,
        renamed.currency,
        renamed.order_total,
        renamed.sales_channel,
        renamed.ordered_at
    from renamed
    left join calling_codes
        on calling_codes.country = '{{ var("chorus_default_country") | upper }}'

)

select * from final
