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
        phone as phone_raw,
        nullif(trim(first_name), '') as first_name,
        nullif(trim(last_name), '') as last_name,
        case upper(trim(country))
            when '' then null
            when 'UK' then 'GB'
            else upper(trim(country))
        end as country,
        nullif(trim(timezone), '') as timezone,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at
    from source
    where updated_at <= {{ chorus_as_of() }}

),

final as (

    select
        renamed.crm_contact_id,
        renamed.email,
        {{ chorus_sha256('renamed.email') }} as email_sha256,
        {{ chorus_phone_to_e164(
            'renamed.phone_raw', 'calling_codes.calling_code', 'calling_codes.trunk_prefix'
        ) }} as phone,
        renamed.first_name,
        renamed.last_name,
        renamed.country,
        renamed.timezone,
        renamed.created_at,
        renamed.updated_at
    from renamed
    left join calling_codes
        -- phones are read in the record's own country, else the default one
        on
            coalesce(renamed.country, '{{ var("chorus_default_country") | upper }}')
            = calling_codes.country

)

select * from final
