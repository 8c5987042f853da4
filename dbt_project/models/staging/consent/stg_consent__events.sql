-- One row per consent change as of `as_of` (occurred_at <= as_of). Consent events carry
-- no country: phones are read in var chorus_default_country.
with

-- not named `source`: the table has a column of that name
consent_events as (

    select * from {{ source('consent', 'consent_events') }}

),

-- reference lookup, one row per country: the only join staging does (it cannot fan out)
calling_codes as (

    select * from {{ ref('country_calling_codes') }}

),

renamed as (

    select
        trim(cast(event_id as {{ dbt.type_string() }})) as consent_event_id,
        nullif(trim(cast(user_id as {{ dbt.type_string() }})), '') as user_id,
        {{ chorus_normalize_email('email') }} as email,
        {{ chorus_phone_cleaned('phone') }} as phone_cleaned,
        nullif(trim(cast(device_id as {{ dbt.type_string() }})), '') as device_id,
        lower(trim(channel)) as channel,
        lower(trim(status)) as status,
        nullif(trim(source), '') as consent_source,
        -- optional in the contract: missing or blank means marketing consent
        coalesce(lower(nullif(trim(purpose), '')), 'marketing') as purpose,
        cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
        _loaded_at
    from consent_events
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
        phone_parts.consent_event_id,
        phone_parts.user_id,
        phone_parts.email,
        {{ chorus_phone_to_e164(
            'phone_parts.phone_cleaned',
            'phone_parts.phone_digits',
            'phone_parts.phone_international_digits',
            'calling_codes.calling_code',
            'calling_codes.trunk_prefix',
        ) }} as phone,
        phone_parts.device_id,
        phone_parts.channel,
        phone_parts.status,
        phone_parts.purpose,
        phone_parts.consent_source,
        phone_parts.occurred_at,
        phone_parts._loaded_at
    from phone_parts
    left join calling_codes
        on calling_codes.country = '{{ var("chorus_default_country") | upper }}'

)

select * from final
