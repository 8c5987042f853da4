-- The country_calling_codes seed, as loaded, reads a known national number of each kind
-- of country into E.164 with the staging macros: with a trunk prefix dropped (GB, DE),
-- NANP (US), and without a trunk prefix, digits kept as written (IT, ES). A prefix
-- loaded wrong (an empty one written as the text 'None', a lost leading 0) turns these
-- into null or a wrong number, and every phone of that country with them.
with

samples as (

    select 'GB' as country, '020 7946 0018' as phone, '+442079460018' as expected
    union all
    select 'DE', '030 901820', '+4930901820'
    union all
    select 'US', '(415) 555-0134', '+14155550134'
    union all
    select 'IT', '06 6982 1234', '+390669821234'
    union all
    select 'ES', '912 345 678', '+34912345678'

),

calling_codes as (

    select * from {{ ref('country_calling_codes') }}

),

cleaned as (

    select
        country,
        expected,
        {{ chorus_phone_cleaned('phone') }} as phone_cleaned
    from samples

),

phone_parts as (

    select
        *,
        {{ chorus_phone_digits('phone_cleaned') }} as phone_digits,
        {{ chorus_phone_international_digits('phone_cleaned') }} as phone_international_digits
    from cleaned

),

normalized as (

    select
        phone_parts.country,
        phone_parts.expected,
        {{ chorus_phone_to_e164(
            'phone_parts.phone_cleaned',
            'phone_parts.phone_digits',
            'phone_parts.phone_international_digits',
            'calling_codes.calling_code',
            'calling_codes.trunk_prefix',
        ) }} as phone
    from phone_parts
    left join calling_codes
        on phone_parts.country = calling_codes.country

)

select *
from normalized
where phone is null or phone <> expected
