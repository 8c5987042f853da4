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
        {{ chorus_phone_cleaned('phone') }} as phone_cleaned,
        nullif(trim(cast(anonymous_id as {{ dbt.type_string() }})), '') as anonymous_id,
        nullif(trim(cast(device_id as {{ dbt.type_string() }})), '') as device_id,
        lower(trim(status)) as status,
        upper(nullif(trim(currency), '')) as currency,
        cast(order_total as decimal(18, 2)) as order_total,
        lower(nullif(trim(sales_channel), '')) as sales_channel,
        cast(ordered_at as {{ dbt.type_timestamp() }}) as ordered_at,
        _loaded_at
    from source
    where ordered_at <= {{ chorus_as_of() }}

),

-- each phone regex once per row, on the cleaned column (macros/normalization)
phone_parts as (

    select
        *,
        {{ chorus_phone_digits('phone_cleaned') }} as phone_digits,
        {{ chorus_phone_international_digits('phone_cleaned') }} as phone_international_digits
    from renamed

),

final as (

    select
        phone_parts.order_id,
        phone_parts.user_id,
        phone_parts.email,
        {{ chorus_phone_to_e164(
            'phone_parts.phone_cleaned',
            'phone_parts.phone_digits',
            'phone_parts.phone_international_digits',
            'calling_codes.calling_code',
            'calling_codes.trunk_prefix',
        ) }} as phone,
        phone_parts.anonymous_id,
        phone_parts.device_id,
        phone_parts.status,
        phone_parts.currency,
        phone_parts.order_total,
        phone_parts.sales_channel,
        phone_parts.ordered_at,
        phone_parts._loaded_at
    from phone_parts
    left join calling_codes
        on calling_codes.country = '{{ var("chorus_default_country") | upper }}'

)

select * from final
