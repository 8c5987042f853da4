-- One row per paid-media impression or click as of `as_of` (occurred_at <= as_of).
-- Platforms report the email already hashed: only its hex case and spaces are fixed.
with

source as (

    select * from {{ source('ads', 'ad_events') }}

),

final as (

    select
        trim(cast(event_id as {{ dbt.type_string() }})) as ad_event_id,
        lower(nullif(trim(platform), '')) as platform,
        nullif(trim(cast(campaign_id as {{ dbt.type_string() }})), '') as campaign_id,
        lower(nullif(trim(email_sha256), '')) as email_sha256,
        nullif(trim(cast(anonymous_id as {{ dbt.type_string() }})), '') as anonymous_id,
        lower(trim(event_type)) as event_type,
        -- `cost` is a keyword in some dialects, but it is the contract's column name
        cast(cost as decimal(18, 4)) as cost,  -- noqa: RF04
        cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
        _loaded_at
    from source
    where occurred_at <= {{ chorus_as_of() }}

)

select * from final
