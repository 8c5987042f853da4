-- One row per resolved customer as of `as_of`: contact points, profile, activity, orders,
-- revenue and lifecycle stage; marts.customers adds consent and engagement to it (the
-- engagement models read the lifecycle stage and time zone from here). Anonymous
-- profiles (cookies and devices that never met an email, phone or account) are
-- customers too; is_known tells them apart, and their
-- lifecycle stage is anonymous or anonymous_expired, never one of the stages of known
-- customers. The rules are documented in _customers__models.yml and docs/DECISIONS.md
-- ("Customers an analyst can count").
-- Per customer (int_engagement_batches): an incremental batch rewrites the customers in
-- its scope. It keeps instants (last_activity_at, first_seen_at), not ages, so a row
-- changes only with the customer's data or when as_of crosses one of the stage's age
-- limits, which int_engagement_scope finds.
{{ config(
    materialized=chorus_scoped_materialization_name(),
    chorus_customer_scoped=true,
    chorus_scope_reasons=['identifiers', 'structure', 'contacts', 'crm', 'orders', 'lifecycle'],
) }}

with

identifiers as {{ chorus_not_materialized() }} (

    select identifiers.*
    from {{ chorus_scoped_identifiers() }} as identifiers
    where identifiers.customer_id is not null

),

crm_contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

orders as (

    select * from {{ ref('int_orders_resolved') }}
    where {{ chorus_in_scope('customer_id') }}

),

messages as (

    select * from {{ ref('contacts') }}

),

sms_events as (

    select * from {{ ref('stg_sms__events') }}

),

-- an email is verified when a message to it was delivered or engaged with, or it
-- bought; a phone when an SMS to it was delivered or answered (a reply to no text
-- too: a START by keyword), or it bought. The email messages' outcome times are
-- columns of contacts, so no build scans every raw email event again.
verified_emails as (

    select distinct identifier_value
    from messages
    where
        channel = 'email'
        and identifier_type = 'email'
        and (
            delivered_at is not null
            or opened_at is not null
            or clicked_at is not null
        )
        -- noqa: disable=LT02
        {% if chorus_is_scoped_build() -%}
            and identifier_value in (
                select emails.identifier_value
                from identifiers as emails
                where emails.identifier_type = 'email'
            )
        {%- endif %}
    -- noqa: enable=LT02
    union
    select distinct email from orders
    where email is not null

),

verified_phones as (

    select distinct phone as identifier_value
    from sms_events
    where
        event_type in ('delivered', 'clicked', 'replied')
        and phone is not null
        -- noqa: disable=LT02
        {% if chorus_is_scoped_build() -%}
            and phone in (
                select phones.identifier_value
                from identifiers as phones
                where phones.identifier_type = 'phone'
            )
        {%- endif %}
    -- noqa: enable=LT02
    union
    select distinct phone from orders
    where phone is not null

),

contact_points as (

    select
        identifiers.customer_id,
        identifiers.identifier_type,
        identifiers.identifier_value,
        identifiers.last_seen_at,
        coalesce(
            verified_emails.identifier_value is not null
            or verified_phones.identifier_value is not null,
            false
        ) as is_verified
    from identifiers
    left join verified_emails
        on
            identifiers.identifier_type = 'email'
            and identifiers.identifier_value = verified_emails.identifier_value
    left join verified_phones
        on
            identifiers.identifier_type = 'phone'
            and identifiers.identifier_value = verified_phones.identifier_value
    where identifiers.identifier_type in ('email', 'phone', 'user_id')

),

-- primary contact point per type: verified first, then the most recently seen
ranked_contact_points as (

    select
        *,
        row_number() over (
            partition by customer_id, identifier_type
            order by is_verified desc, last_seen_at desc, identifier_value asc
        ) as contact_rank
    from contact_points

),

primary_contact_points as (

    select
        customer_id,
        max(case when identifier_type = 'email' then identifier_value end) as primary_email,
        coalesce(max(case when identifier_type = 'email' and is_verified then 1 end), 0) = 1
            as is_primary_email_verified,
        max(case when identifier_type = 'phone' then identifier_value end) as primary_phone,
        coalesce(max(case when identifier_type = 'phone' and is_verified then 1 end), 0) = 1
            as is_primary_phone_verified,
        max(case when identifier_type = 'user_id' then identifier_value end) as user_id
    from ranked_contact_points
    where contact_rank = 1
    group by 1

),

-- profile fields from the customer's most recently updated CRM record
crm_profiles as (

    select
        identifiers.customer_id,
        crm_contacts.first_name,
        crm_contacts.last_name,
        crm_contacts.country,
        crm_contacts.timezone,
        row_number() over (
            partition by identifiers.customer_id
            order by crm_contacts.updated_at desc, crm_contacts.crm_contact_id asc
        ) as profile_rank
    from crm_contacts
    inner join identifiers
        on
            crm_contacts.crm_contact_id = identifiers.identifier_value
            and identifiers.identifier_type = 'contact_id'

),

activity as (

    select
        customer_id,
        cast(count(*) as bigint) as identifier_count,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at
    from identifiers
    group by 1

),

order_totals as (

    select
        customer_id,
        -- sums of integers are HUGEINT in DuckDB (float64 in pandas): counts are bigint
        cast(sum(case when status in ('completed', 'refunded') then 1 else 0 end) as bigint)
            as order_count,
        cast(sum(case when status = 'refunded' then 1 else 0 end) as bigint)
            as refunded_order_count,
        sum(case when status = 'completed' then order_total else 0 end) as revenue,
        min(case when status in ('completed', 'refunded') then ordered_at end) as first_order_at,
        max(case when status in ('completed', 'refunded') then ordered_at end) as last_order_at
    from orders
    group by 1

),

joined as (

    select  -- noqa: ST06
        activity.customer_id,
        -- known: an email, a phone or an account among its own identifiers (a CRM
        -- contact alone or a hashed email alone reaches no one and is not)
        (
            primary_contact_points.primary_email is not null
            or primary_contact_points.primary_phone is not null
            or primary_contact_points.user_id is not null
        ) as is_known,
        primary_contact_points.primary_email,
        coalesce(primary_contact_points.is_primary_email_verified, false)
            as is_primary_email_verified,
        primary_contact_points.primary_phone,
        coalesce(primary_contact_points.is_primary_phone_verified, false)
            as is_primary_phone_verified,
        primary_contact_points.user_id,
        crm_profiles.first_name,
        crm_profiles.last_name,
        crm_profiles.country,
        crm_profiles.timezone,
        activity.first_seen_at,
        activity.last_seen_at,
        activity.identifier_count,
        coalesce(order_totals.order_count, cast(0 as bigint)) as order_count,
        coalesce(order_totals.refunded_order_count, cast(0 as bigint)) as refunded_order_count,
        cast(coalesce(order_totals.revenue, 0) as decimal(18, 2)) as revenue,
        order_totals.first_order_at,
        order_totals.last_order_at,
        -- recency that drives the stage: the last order for buyers, else the last sighting
        coalesce(order_totals.last_order_at, activity.last_seen_at) as last_activity_at
    from activity
    left join primary_contact_points
        on activity.customer_id = primary_contact_points.customer_id
    left join crm_profiles
        on activity.customer_id = crm_profiles.customer_id and crm_profiles.profile_rank = 1
    left join order_totals
        on activity.customer_id = order_totals.customer_id

),

-- ages in whole days to as_of (day boundaries crossed, dbt.datediff): what the stage
-- reads, not kept (they change every day; int_engagement_scope finds the customers whose
-- ages crossed a limit)
aged as (

    select
        *,
        {{ dbt.datediff('last_activity_at', chorus_as_of(), 'day') }}
            as days_since_last_activity,
        {{ dbt.datediff('first_seen_at', chorus_as_of(), 'day') }}
            as customer_age_days
    from joined

),

final as (

    select
        customer_id,
        is_known,
        primary_email,
        is_primary_email_verified,
        primary_phone,
        is_primary_phone_verified,
        user_id,
        first_name,
        last_name,
        country,
        timezone,
        first_seen_at,
        last_seen_at,
        identifier_count,
        order_count,
        refunded_order_count,
        revenue,
        first_order_at,
        last_order_at,
        last_activity_at,
        case
            -- an anonymous profile never takes a stage of known customers: browsing
            -- alone makes nobody new, active or loyal; it expires when unseen for long
            when
                not is_known
                and days_since_last_activity <= {{ var('chorus_anonymous_retention_days') }}
                then 'anonymous'
            when not is_known then 'anonymous_expired'
            when
                order_count >= {{ var('chorus_lifecycle_loyal_orders') }}
                and days_since_last_activity <= {{ var('chorus_lifecycle_active_days') }}
                then 'loyal'
            when customer_age_days <= {{ var('chorus_lifecycle_new_days') }} then 'new'
            when days_since_last_activity <= {{ var('chorus_lifecycle_active_days') }}
                then 'active'
            when days_since_last_activity <= {{ var('chorus_lifecycle_lapsed_days') }}
                then 'at_risk'
            else 'lapsed'
        end as lifecycle_stage
    from aged

)

select * from final
