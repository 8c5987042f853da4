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
        phone as phone_raw,
        nullif(trim(cast(device_id as {{ dbt.type_string() }})), '') as device_id,
        lower(trim(channel)) as channel,
        lower(trim(status)) as status,
        nullif(trim(source), '') as consent_source,
        -- optional in the contract: missing or blank means marketing consent
        coalesce(lower(nullif(trim(purpose), '')), 'marketing') as purpose,
        cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at
    from consent_events
    where occurred_at <= {{ chorus_as_of() }}

),

final as (

    select
        renamed.consent_event_id,
        renamed.user_id,
        renamed.email,
        {{ chorus_sha256('renamed.email') }} as email_sha256,
        {{ chorus_phone_to_e164(
            'renamed.phone_raw', 'calling_codes.calling_code', 'calling_codes.trunk_prefix'
        ) }} as phone,
        renamed.device_id,
        renamed.channel,
        renamed.status,
        renamed.purpose,
        renamed.consent_source,
        renamed.occurred_at
    from renamed
    left join calling_codes
        on calling_codes.country = '{{ var("chorus_default_country") | upper }}'

)

select * from final
