-- One row per CRM contact record as of `as_of` (updated_at <= as_of). A person may own
-- several records; the identity graph resolves them. Phones are read in the record's
-- own country, else var chorus_default_country.
with

source as (

    select * from {{ source('crm', 'crm_contacts') }}

),

-- reference lookup, one row per country: the only join staging does (it cannot fan out)
calling_codes as (

    select * from {{ ref('country_calling_codes') }}

),

renamed as (

    select
        trim(cast(contact_id as {{ dbt.type_string() }})) as crm_contact_id,
        {{ chorus_normalize_email('email') }} as email,
        {{ chorus_phone_cleaned('phone') }} as phone_cleaned,
        nullif(trim(first_name), '') as first_name,
        nullif(trim(last_name), '') as last_name,
        case upper(trim(country))
            when '' then null
            when 'UK' then 'GB'
            else upper(trim(country))
        end as country,
        nullif(trim(timezone), '') as timezone,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        _loaded_at
    from source
    where updated_at <= {{ chorus_as_of() }}

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
        phone_parts.crm_contact_id,
        phone_parts.email,
        {{ chorus_phone_to_e164(
            'phone_parts.phone_cleaned',
            'phone_parts.phone_digits',
            'phone_parts.phone_international_digits',
            'calling_codes.calling_code',
            'calling_codes.trunk_prefix',
        ) }} as phone,
        phone_parts.first_name,
        phone_parts.last_name,
        phone_parts.country,
        phone_parts.timezone,
        phone_parts.created_at,
        phone_parts.updated_at,
        phone_parts._loaded_at
    from phone_parts
    left join calling_codes
        -- phones are read in the record's own country, else the default one
        on
            coalesce(phone_parts.country, '{{ var("chorus_default_country") | upper }}')
            = calling_codes.country

)

select * from final
