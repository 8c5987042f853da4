-- One row per order line. The raw table has no time column, so lines are not filtered
-- by as_of here (staging does not join): models join them to stg_shop__orders, which is.
with

source as (

    select * from {{ source('shop', 'order_items') }}

),

renamed as (

    select
        trim(cast(order_id as {{ dbt.type_string() }})) as order_id,
        cast(line_number as integer) as line_number,
        nullif(trim(cast(product_id as {{ dbt.type_string() }})), '') as product_id,
        nullif(trim(category), '') as category,
        cast(quantity as integer) as quantity,
        cast(unit_price as decimal(18, 2)) as unit_price,
        _loaded_at
    from source

),

final as (

    select
        {{ dbt.concat([
            'order_id', "'#'", 'cast(line_number as ' ~ dbt.type_string() ~ ')'
        ]) }} as order_item_id,
        order_id,
        line_number,
        product_id,
        category,
        quantity,
        unit_price,
        cast(quantity * unit_price as decimal(18, 2)) as line_total,
        _loaded_at
    from renamed

)

select * from final
