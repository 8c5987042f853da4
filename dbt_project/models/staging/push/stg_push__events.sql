-- One row per push-provider event as of `as_of` (occurred_at <= as_of).
with

source as (

    select * from {{ source('push', 'push_events') }}

),

final as (

    select
        trim(cast(event_id as {{ dbt.type_string() }})) as push_event_id,
        nullif(trim(cast(message_id as {{ dbt.type_string() }})), '') as message_id,
        nullif(trim(cast(campaign_id as {{ dbt.type_string() }})), '') as campaign_id,
        nullif(trim(cast(device_id as {{ dbt.type_string() }})), '') as device_id,
        lower(trim(event_type)) as event_type,
        cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
        _loaded_at
    from source
    where occurred_at <= {{ chorus_as_of() }}

)

select * from final
