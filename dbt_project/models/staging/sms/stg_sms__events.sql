-- One row per SMS-provider event as of `as_of` (occurred_at <= as_of). Provider events
-- carry no country: phones are read in var chorus_default_country (providers normally
-- send E.164 already, which keeps its own country code).
with

source as (

    select * from {{ source('sms', 'sms_events') }}

),

-- reference lookup, one row per country: the only join staging does (it cannot fan out)
calling_codes as (

    select * from {{ ref('country_calling_codes') }}

),

renamed as (

    select
        trim(cast(event_id as {{ dbt.type_string() }})) as sms_event_id,
        nullif(trim(cast(message_id as {{ dbt.type_string() }})), '') as message_id,
        nullif(trim(cast(campaign_id as {{ dbt.type_string() }})), '') as campaign_id,
        phone as phone_raw,
        lower(trim(event_type)) as event_type,
        body,
        cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at
    from source
    where occurred_at <= {{ chorus_as_of() }}

),

final as (

    select
        renamed.sms_event_id,
        renamed.message_id,
        renamed.campaign_id,
        {{ chorus_phone_to_e164(
            'renamed.phone_raw', 'calling_codes.calling_code', 'calling_codes.trunk_prefix'
        ) }} as phone,
        renamed.event_type,
        renamed.body,
        renamed.occurred_at
    from renamed
    left join calling_codes
        on calling_codes.country = '{{ var("chorus_default_country") | upper }}'

)

select * from final
