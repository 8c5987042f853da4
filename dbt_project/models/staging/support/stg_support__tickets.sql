-- One row per support ticket opened as of `as_of` (opened_at <= as_of). A ticket
-- resolved after as_of was still open then: its resolved_at is null here.
with

source as (

    select * from {{ source('support', 'support_tickets') }}

),

final as (

    select
        trim(cast(ticket_id as {{ dbt.type_string() }})) as ticket_id,
        nullif(trim(cast(user_id as {{ dbt.type_string() }})), '') as user_id,
        {{ chorus_normalize_email('email') }} as email,
        nullif(trim(category), '') as category,
        cast(is_complaint as {{ dbt.type_boolean() }}) as is_complaint,
        cast(csat as integer) as csat,
        cast(opened_at as {{ dbt.type_timestamp() }}) as opened_at,
        case
            when resolved_at <= {{ chorus_as_of() }}
                then cast(resolved_at as {{ dbt.type_timestamp() }})
        end as resolved_at,
        _loaded_at
    from source
    where opened_at <= {{ chorus_as_of() }}

)

select * from final
