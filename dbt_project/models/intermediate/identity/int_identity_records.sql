-- One row per distinct combination of identifiers seen together on a source row: the
-- evidence of the identity graph. Aggregating per source first keeps the graph small:
-- every page view of a cookie collapses into one record, so tens of millions of raw
-- rows become a few records per person. Values are staging's normalized ones (emails
-- trimmed/lowercased, phones E.164); emails are hashed later, once per distinct email.
-- record_id is a hash of the source and the identifiers, the same in every build.
-- Rows without any identifier are not filtered out before grouping: such a filter is
-- pushed into the staging scan and evaluates the normalization twice (email events:
-- 1.7 s -> 4.3 s at 1M customers). They make at most one record per source, with no
-- identifier, which nothing downstream reads.
--
-- Batched (macros/identity/chorus_identity_batch.sql). An incremental batch reads only
-- the new evidence and writes the changed records to the region table, with `change`:
--   events (web, app, chat, consent, email, sms, push, ads) only ever add rows: a
--     record seen again adds its new rows to the stored counts and times;
--   CRM contacts, orders and tickets are replaced in place by the loader, so their
--     records are recomputed (CRM: only the contacts changed since the last batch) and
--     a record no longer seen is 'removed'.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    chorus_identity_batched=true,
    post_hook=[
        "{{ chorus_identity_replace_region('record_id in (select record_id from {region})') }}",
        "{{ chorus_identity_progress() }}",
    ],
) }}

-- the batch: depends_on: {{ ref('int_identity_batches') }}
{% set batch = chorus_identity_batch() %}
{% set null_string = 'cast(null as ' ~ dbt.type_string() ~ ')' %}
{# an event seen again adds its rows to the stored record; the loader replaces CRM
   contacts, orders and tickets in place, so their records are recomputed instead #}
{% set adds_rows =
    "evidence.record_id is not null and in_scope.record_id is not null"
    ~ " and evidence.source_system not in ('crm', 'shop', 'support')" %}

{% set evidence_sql %}
with

crm_contacts as (

    select * from {{ ref('stg_crm__contacts') }}
    where {{ chorus_identity_evidence_filter(batch, 'updated_at') }}

),

web_events as (

    select * from {{ ref('stg_web__events') }}
    where {{ chorus_identity_evidence_filter(batch, 'occurred_at') }}

),

app_events as (

    select * from {{ ref('stg_app__events') }}
    where {{ chorus_identity_evidence_filter(batch, 'occurred_at') }}

),

orders as (

    select * from {{ ref('stg_shop__orders') }}
    -- read whole (replaced in place by the loader), up to the batch's last load
    where {{ chorus_identity_evidence_filter(batch) }}

),

chat_events as (

    select * from {{ ref('stg_chat__events') }}
    where {{ chorus_identity_evidence_filter(batch, 'occurred_at') }}

),

support_tickets as (

    select * from {{ ref('stg_support__tickets') }}
    -- read whole (replaced in place by the loader), up to the batch's last load
    where {{ chorus_identity_evidence_filter(batch) }}

),

consent_events as (

    select * from {{ ref('stg_consent__events') }}
    where {{ chorus_identity_evidence_filter(batch, 'occurred_at') }}

),

email_events as (

    select * from {{ ref('stg_email__events') }}
    where {{ chorus_identity_evidence_filter(batch, 'occurred_at') }}

),

sms_events as (

    select * from {{ ref('stg_sms__events') }}
    where {{ chorus_identity_evidence_filter(batch, 'occurred_at') }}

),

push_events as (

    select * from {{ ref('stg_push__events') }}
    where {{ chorus_identity_evidence_filter(batch, 'occurred_at') }}

),

ad_events as (

    select * from {{ ref('stg_ads__events') }}
    where {{ chorus_identity_evidence_filter(batch, 'occurred_at') }}

),

-- a CRM record is first seen when created and last seen when last changed
crm_records as (

    select
        'crm' as source_system,
        crm_contact_id as contact_id,
        {{ null_string }} as user_id,
        email,
        phone,
        {{ null_string }} as device_id,
        {{ null_string }} as anonymous_id,
        {{ null_string }} as email_sha256,
        -- the contact's first name (lower-cased): a trait identity_rules may count, not a link
        lower(first_name) as first_name,
        min(created_at) as first_seen_at,
        max(updated_at) as last_seen_at,
        count(*) as row_count
    from crm_contacts
    group by 2, 4, 5, 9

),

-- identify, login and form events tie the cookie to the account and email
web_records as (

    select
        'web' as source_system,
        {{ null_string }} as contact_id,
        user_id,
        email,
        {{ null_string }} as phone,
        {{ null_string }} as device_id,
        anonymous_id,
        {{ null_string }} as email_sha256,
        {{ null_string }} as first_name,
        min(occurred_at) as first_seen_at,
        max(occurred_at) as last_seen_at,
        count(*) as row_count
    from web_events
    group by 3, 4, 7

),

app_records as (

    select
        'app' as source_system,
        {{ null_string }} as contact_id,
        user_id,
        {{ null_string }} as email,
        {{ null_string }} as phone,
        device_id,
        {{ null_string }} as anonymous_id,
        {{ null_string }} as email_sha256,
        {{ null_string }} as first_name,
        min(occurred_at) as first_seen_at,
        max(occurred_at) as last_seen_at,
        count(*) as row_count
    from app_events
    group by 3, 6

),

shop_records as (

    select
        'shop' as source_system,
        {{ null_string }} as contact_id,
        user_id,
        email,
        phone,
        device_id,
        anonymous_id,
        {{ null_string }} as email_sha256,
        {{ null_string }} as first_name,
        min(ordered_at) as first_seen_at,
        max(ordered_at) as last_seen_at,
        count(*) as row_count
    from orders
    group by 3, 4, 5, 6, 7

),

chat_records as (

    select
        'chat' as source_system,
        {{ null_string }} as contact_id,
        user_id,
        email,
        {{ null_string }} as phone,
        {{ null_string }} as device_id,
        anonymous_id,
        {{ null_string }} as email_sha256,
        {{ null_string }} as first_name,
        min(occurred_at) as first_seen_at,
        max(occurred_at) as last_seen_at,
        count(*) as row_count
    from chat_events
    group by 3, 4, 7

),

support_records as (

    select
        'support' as source_system,
        {{ null_string }} as contact_id,
        user_id,
        email,
        {{ null_string }} as phone,
        {{ null_string }} as device_id,
        {{ null_string }} as anonymous_id,
        {{ null_string }} as email_sha256,
        {{ null_string }} as first_name,
        min(opened_at) as first_seen_at,
        max(opened_at) as last_seen_at,
        count(*) as row_count
    from support_tickets
    group by 3, 4

),

consent_records as (

    select
        'consent' as source_system,
        {{ null_string }} as contact_id,
        user_id,
        email,
        phone,
        device_id,
        {{ null_string }} as anonymous_id,
        {{ null_string }} as email_sha256,
        {{ null_string }} as first_name,
        min(occurred_at) as first_seen_at,
        max(occurred_at) as last_seen_at,
        count(*) as row_count
    from consent_events
    group by 3, 4, 5, 6

),

-- channel providers know one address each: they add identifiers, not links
email_records as (

    select
        'email' as source_system,
        {{ null_string }} as contact_id,
        {{ null_string }} as user_id,
        email,
        {{ null_string }} as phone,
        {{ null_string }} as device_id,
        {{ null_string }} as anonymous_id,
        {{ null_string }} as email_sha256,
        {{ null_string }} as first_name,
        min(occurred_at) as first_seen_at,
        max(occurred_at) as last_seen_at,
        count(*) as row_count
    from email_events
    group by 4

),

sms_records as (

    select
        'sms' as source_system,
        {{ null_string }} as contact_id,
        {{ null_string }} as user_id,
        {{ null_string }} as email,
        phone,
        {{ null_string }} as device_id,
        {{ null_string }} as anonymous_id,
        {{ null_string }} as email_sha256,
        {{ null_string }} as first_name,
        min(occurred_at) as first_seen_at,
        max(occurred_at) as last_seen_at,
        count(*) as row_count
    from sms_events
    group by 5

),

push_records as (

    select
        'push' as source_system,
        {{ null_string }} as contact_id,
        {{ null_string }} as user_id,
        {{ null_string }} as email,
        {{ null_string }} as phone,
        device_id,
        {{ null_string }} as anonymous_id,
        {{ null_string }} as email_sha256,
        {{ null_string }} as first_name,
        min(occurred_at) as first_seen_at,
        max(occurred_at) as last_seen_at,
        count(*) as row_count
    from push_events
    group by 6

),

-- ad platforms send the email hashed; it links to the email through its SHA-256
ads_records as (

    select
        'ads' as source_system,
        {{ null_string }} as contact_id,
        {{ null_string }} as user_id,
        {{ null_string }} as email,
        {{ null_string }} as phone,
        {{ null_string }} as device_id,
        anonymous_id,
        email_sha256,
        {{ null_string }} as first_name,
        min(occurred_at) as first_seen_at,
        max(occurred_at) as last_seen_at,
        count(*) as row_count
    from ad_events
    group by 7, 8

),

unioned as (

    select * from crm_records
    union all
    select * from web_records
    union all
    select * from app_records
    union all
    select * from shop_records
    union all
    select * from chat_records
    union all
    select * from support_records
    union all
    select * from consent_records
    union all
    select * from email_records
    union all
    select * from sms_records
    union all
    select * from push_records
    union all
    select * from ads_records

),

final as (

    select
        {{ chorus_node_id('source_system', chorus_identity_record_key()) }} as record_id,
        source_system,
        contact_id,
        user_id,
        email,
        phone,
        device_id,
        anonymous_id,
        email_sha256,
        first_name,
        first_seen_at,
        last_seen_at,
        row_count
    from unioned

)

select * from final
{% endset %}

{% set region_sql %}
with

evidence as (

    {{ evidence_sql }}

),

stored as (

    select * from {{ this }}

),

changed_contacts as (

    select distinct contact_id
    from evidence
    where source_system = 'crm'

),

-- the stored records the evidence can change: the same records, and the records of
-- replaced sources (all orders and tickets; the CRM contacts changed)
in_scope as (

    select stored.*
    from stored
    where
        stored.source_system in ('shop', 'support')
        or stored.record_id in (select evidence.record_id from evidence)
        or (
            stored.source_system = 'crm'
            and stored.contact_id in (select changed_contacts.contact_id from changed_contacts)
        )

),

combined as (

    select
        coalesce(evidence.record_id, in_scope.record_id) as record_id,
        case
            when evidence.record_id is null then 'removed'
            when in_scope.record_id is null then 'new'
            else 'updated'
        end as change,
        coalesce(evidence.source_system, in_scope.source_system) as source_system,
        coalesce(evidence.contact_id, in_scope.contact_id) as contact_id,
        coalesce(evidence.user_id, in_scope.user_id) as user_id,
        coalesce(evidence.email, in_scope.email) as email,
        coalesce(evidence.phone, in_scope.phone) as phone,
        coalesce(evidence.device_id, in_scope.device_id) as device_id,
        coalesce(evidence.anonymous_id, in_scope.anonymous_id) as anonymous_id,
        coalesce(evidence.email_sha256, in_scope.email_sha256) as email_sha256,
        -- not part of the key: a contact's name may change in place
        case
            when evidence.record_id is not null then evidence.first_name else in_scope.first_name
        end as first_name,
        case
            when {{ adds_rows }} then least(evidence.first_seen_at, in_scope.first_seen_at)
            else coalesce(evidence.first_seen_at, in_scope.first_seen_at)
        end as first_seen_at,
        case
            when {{ adds_rows }} then greatest(evidence.last_seen_at, in_scope.last_seen_at)
            else coalesce(evidence.last_seen_at, in_scope.last_seen_at)
        end as last_seen_at,
        case
            when {{ adds_rows }} then evidence.row_count + in_scope.row_count
            else coalesce(evidence.row_count, in_scope.row_count)
        end as row_count,
        coalesce(in_scope.first_batch_id, {{ batch['batch_id'] }}) as first_batch_id,
        in_scope.first_seen_at as stored_first_seen_at,
        in_scope.last_seen_at as stored_last_seen_at,
        in_scope.row_count as stored_row_count,
        in_scope.first_name as stored_first_name
    from evidence
    full outer join in_scope
        on evidence.record_id = in_scope.record_id

)

-- a replaced source's record that did not change is not a change
select
    record_id,
    change,
    source_system,
    contact_id,
    user_id,
    email,
    phone,
    device_id,
    anonymous_id,
    email_sha256,
    first_name,
    first_seen_at,
    last_seen_at,
    row_count,
    first_batch_id
from combined
where
    change <> 'updated'
    or first_seen_at <> stored_first_seen_at
    or last_seen_at <> stored_last_seen_at
    or row_count <> stored_row_count
    or coalesce(first_name, '') <> coalesce(stored_first_name, '')
{% endset %}

{% set region = chorus_identity_region(region_sql) %}

{% if region is not none %}

    -- incremental batch: the new and changed records (region: macros/identity/chorus_identity_batch.sql)
    select
        record_id,
        source_system,
        contact_id,
        user_id,
        email,
        phone,
        device_id,
        anonymous_id,
        email_sha256,
        first_name,
        first_seen_at,
        last_seen_at,
        row_count,
        first_batch_id,
        {{ batch['batch_id'] }} as batch_id
    from {{ region }}
    where change <> 'removed'

{% else %}

    select
        record_id,
        source_system,
        contact_id,
        user_id,
        email,
        phone,
        device_id,
        anonymous_id,
        email_sha256,
        first_name,
        first_seen_at,
        last_seen_at,
        row_count,
        {{ batch['batch_id'] }} as first_batch_id,
        {{ batch['batch_id'] }} as batch_id
    from (
        {{ evidence_sql }}
    ) as evidence

{% endif %}
