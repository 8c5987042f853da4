-- One row per tracked web event as of `as_of` (occurred_at <= as_of).
with

source as (

    select * from {{ source('web', 'web_events') }}

),

final as (

    select
        trim(cast(event_id as {{ dbt.type_string() }})) as web_event_id,
        nullif(trim(cast(anonymous_id as {{ dbt.type_string() }})), '') as anonymous_id,
        nullif(trim(cast(user_id as {{ dbt.type_string() }})), '') as user_id,
        {{ chorus_normalize_email('email') }} as email,
        lower(trim(event_type)) as event_type,
        nullif(trim(cast(product_id as {{ dbt.type_string() }})), '') as product_id,
        nullif(trim(page_url), '') as page_url,
        lower(nullif(trim(utm_source), '')) as utm_source,
        lower(nullif(trim(utm_medium), '')) as utm_medium,
        nullif(trim(utm_campaign), '') as utm_campaign,
        cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
        _loaded_at
    from source
    where occurred_at <= {{ chorus_as_of() }}

)

select * from final
