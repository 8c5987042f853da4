-- One row per email-provider event as of `as_of` (occurred_at <= as_of).
with

source as (

    select * from {{ source('email', 'email_events') }}

),

final as (

    select
        trim(cast(event_id as {{ dbt.type_string() }})) as email_event_id,
        nullif(trim(cast(message_id as {{ dbt.type_string() }})), '') as message_id,
        nullif(trim(cast(campaign_id as {{ dbt.type_string() }})), '') as campaign_id,
        {{ chorus_normalize_email('email') }} as email,
        lower(trim(event_type)) as event_type,
        nullif(trim(url), '') as url,
        cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
        _loaded_at
    from source
    where occurred_at <= {{ chorus_as_of() }}

)

select * from final
