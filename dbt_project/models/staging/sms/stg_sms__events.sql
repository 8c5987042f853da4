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
        {{ chorus_phone_cleaned('phone') }} as phone_cleaned,
        lower(trim(event_type)) as event_type,
        body,
        cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
        _loaded_at
    from source
    where occurred_at <= {{ chorus_as_of() }}

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
        phone_parts.sms_event_id,
        phone_parts.message_id,
        phone_parts.campaign_id,
        {{ chorus_phone_to_e164(
            'phone_parts.phone_cleaned',
            'phone_parts.phone_digits',
            'phone_parts.phone_international_digits',
            'calling_codes.calling_code',
            'calling_codes.trunk_prefix',
        ) }} as phone,
        phone_parts.event_type,
        phone_parts.body,
        phone_parts.occurred_at,
        phone_parts._loaded_at
    from phone_parts
    left join calling_codes
        on calling_codes.country = '{{ var("chorus_default_country") | upper }}'

)

select * from final
