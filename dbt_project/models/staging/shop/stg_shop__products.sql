-- One row per catalogue product (current version; the raw table has no time column).
with

source as (

    select * from {{ source('shop', 'products') }}

),

final as (

    select
        trim(cast(product_id as {{ dbt.type_string() }})) as product_id,
        nullif(trim(category), '') as category,
        nullif(trim(name), '') as product_name,
        cast(price as decimal(18, 2)) as price
    from source

)

select * from final
