-- One row per mobile-app event as of `as_of` (occurred_at <= as_of).
with

source as (

    select * from {{ source('app', 'app_events') }}

),

final as (

    select
        trim(cast(event_id as {{ dbt.type_string() }})) as app_event_id,
        nullif(trim(cast(device_id as {{ dbt.type_string() }})), '') as device_id,
        nullif(trim(cast(user_id as {{ dbt.type_string() }})), '') as user_id,
        lower(trim(event_type)) as event_type,
        nullif(trim(cast(product_id as {{ dbt.type_string() }})), '') as product_id,
        cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
        _loaded_at
    from source
    where occurred_at <= {{ chorus_as_of() }}

)

select * from final
