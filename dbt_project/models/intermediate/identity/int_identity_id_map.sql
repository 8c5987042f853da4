-- One row per usable identifier: the customer_id it had when this run finished, kept
-- for the next run. identity_merges compares the next run's assignment with this table
-- before it is replaced; it reads it with adapter.get_relation (a ref would make a
-- cycle), so this model must build after identity_merges, which the line below tells
-- dbt:
-- depends_on: {{ ref('identity_merges') }}
with

customer_ids as (

    select * from {{ ref('int_identity_customer_ids') }}

),

final as (

    select
        identifier_type,
        identifier_value,
        customer_id,
        {{ chorus_as_of() }} as assigned_as_of
    from customer_ids

)

select * from final
