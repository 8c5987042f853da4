-- One row per chat event as of `as_of` (occurred_at <= as_of).
with

source as (

    select * from {{ source('chat', 'chat_events') }}

),

final as (

    select
        trim(cast(event_id as {{ dbt.type_string() }})) as chat_event_id,
        nullif(trim(cast(conversation_id as {{ dbt.type_string() }})), '') as conversation_id,
        nullif(trim(cast(anonymous_id as {{ dbt.type_string() }})), '') as anonymous_id,
        nullif(trim(cast(user_id as {{ dbt.type_string() }})), '') as user_id,
        {{ chorus_normalize_email('email') }} as email,
        lower(trim(event_type)) as event_type,
        nullif(trim(topic), '') as topic,
        cast(sentiment as {{ chorus_type_double() }}) as sentiment,
        cast(is_complaint as {{ dbt.type_boolean() }}) as is_complaint,
        nullif(trim(cast(campaign_id as {{ dbt.type_string() }})), '') as campaign_id,
        cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
        _loaded_at
    from source
    where occurred_at <= {{ chorus_as_of() }}

)

select * from final
