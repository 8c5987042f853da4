-- One row per identifier (customer_identifiers) of a customer in the engagement batch's
-- scope (int_engagement_scope); empty in a full batch. The per-customer models read
-- their customers' identifiers here in an incremental batch (chorus_scoped_identifiers):
-- a scan of these few rows instead of a scan of every identifier per model.
{{ config(materialized='table') }}

with

identifiers as (

    select * from {{ ref('customer_identifiers') }}

),

final as (

    select * from identifiers
    where customer_id in (
        select scope.customer_id from {{ ref('int_engagement_scope') }} as scope
    )

)

select * from final  -- noqa: AM04
