-- var chorus_default_country must be a country of the country_calling_codes seed:
-- otherwise every national phone number without a country of its own turns null and
-- SMS reachability silently drops to almost nothing.
with

default_country as (

    select '{{ var("chorus_default_country") | upper }}' as country

),

calling_codes as (

    select * from {{ ref('country_calling_codes') }}

)

select default_country.country
from default_country
left join calling_codes
    on default_country.country = calling_codes.country
where calling_codes.country is null
