-- One row per customer whose per-customer engagement and customer rows this batch may
-- rewrite (an incremental batch of int_engagement_batches; empty in a full batch, which
-- rewrites everyone), with one boolean per reason. Every such model is a function of the
-- customer's own data, the stored fit and as_of, so rewriting a customer with the SQL
-- of a full build gives the full build's rows; each model rewrites the customers with
-- a reason it reads (config chorus_scope_reasons, chorus_in_scope). Since the previous
-- batch (its as_of P, its start, its identity batch, its last load):
--   identifiers    the identity batches rewrote one of their identifiers (a sighting
--                  too: last_seen_at, occurrences);
--   structure      their cluster changed: an identifier joined or left them, or became
--                  shared or junk (the identity batch's region holds the customers it
--                  re-resolved, whole, before and after; with several identity batches
--                  since, every customer of identifiers);
--   merged_away    their id no longer exists (every model deletes their rows);
--   contacts       contacts rewrote one of their messages (new events, a merge, a
--                  campaign edited in the seed); complaints, bounces: one that was a
--                  spam complaint, or a bounce or a delivery after their stored bounces;
--   consent        int_consent_signals rewrote one of their signals;
--   orders, tickets, crm  the loader replaced one of their rows (a refund, a rating, an
--                  edited record), or it became visible at this as_of;
--   trigger_events a chat message with a sentiment or a complaint, or an unsubscribe
--                  page view, loaded since or dated after P;
-- or because time passed from P to this batch's as_of A:
--   contact_windows      a marketing message left the 7, 28 or 90 days before as_of
--                        (customer_fatigue's windows);
--   trigger_windows      an unsubscribe-page visit left the 28 days, a complaint the 90;
--   suppression_windows  a suppression started or ended;
--   lifecycle            their lifecycle stage's age limits were crossed;
--   soft_opt_in          their last purchase left a channel's soft_opt_in_days.
-- The stored rows of the per-customer models are read as they are (these models build
-- after this one).
{{ config(materialized='table') }}

-- the models an incremental batch reads (dbt must know them at parse time, when the
-- batch is not known yet)
-- depends_on: {{ ref('int_engagement_batches') }}
-- depends_on: {{ ref('customer_identifiers') }}
-- depends_on: {{ ref('int_identity_customer_ids') }}
-- depends_on: {{ ref('channel_policy') }}
-- depends_on: {{ ref('contacts') }}
-- depends_on: {{ ref('int_consent_signals') }}
-- depends_on: {{ ref('stg_shop__orders') }}
-- depends_on: {{ ref('stg_shop__order_items') }}
-- depends_on: {{ ref('stg_support__tickets') }}
-- depends_on: {{ ref('stg_crm__contacts') }}
-- depends_on: {{ ref('stg_chat__events') }}
-- depends_on: {{ ref('stg_web__events') }}

{% set batch = chorus_engagement_batch() %}
{% set incremental_batch = batch['mode'] == 'incremental' %}
{% set windows = chorus_fatigue_windows() %}

with

{% if incremental_batch %}

policy as (

    select * from {{ ref('channel_policy') }}

),

-- the identifiers on rows the loader replaced since the previous batch, or that became
-- visible at this as_of (staging stops at as_of)
replaced_identifiers as (

    {% for column in ['user_id', 'email', 'phone', 'anonymous_id', 'device_id'] -%}
        select
            'orders' as reason,
            '{{ column }}' as identifier_type,
            orders.{{ column }} as identifier_value
        from {{ ref('stg_shop__orders') }} as orders
        where
            (
                orders._loaded_at > {{ batch['previous_loaded_through'] }}
                or {{ chorus_since_previous('orders.ordered_at', batch) }}
                or orders.order_id in (
                    select items.order_id
                    from {{ ref('stg_shop__order_items') }} as items
                    where items._loaded_at > {{ batch['previous_loaded_through'] }}
                )
            )
            and orders.{{ column }} is not null
        union all
    {% endfor -%}
    {% for column in ['user_id', 'email'] -%}
        select
            'tickets' as reason,
            '{{ column }}' as identifier_type,
            {{ column }} as identifier_value
        from {{ ref('stg_support__tickets') }}
        where
            (
                _loaded_at > {{ batch['previous_loaded_through'] }}
                or {{ chorus_since_previous('opened_at', batch) }}
                or {{ chorus_since_previous('resolved_at', batch) }}
            )
            and {{ column }} is not null
        union all
    {% endfor -%}
    select
        'crm' as reason,
        'contact_id' as identifier_type,
        crm_contact_id as identifier_value
    from {{ ref('stg_crm__contacts') }}
    where
        _loaded_at > {{ batch['previous_loaded_through'] }}
        or {{ chorus_since_previous('updated_at', batch) }}
    {% for relation, condition in [
        (ref('stg_chat__events'), 'is_complaint or sentiment is not null'),
        (ref('stg_web__events'), "event_type = 'unsubscribe_page_view'"),
    ] -%}
        {% for column in ['user_id', 'email', 'anonymous_id'] %}
            union all
            select
                'trigger_events' as reason,
                '{{ column }}' as identifier_type,
                {{ column }} as identifier_value
            from {{ relation }}
            where
                ({{ condition }})
                and {{ column }} is not null
                and (
                    _loaded_at > {{ batch['previous_loaded_through'] }}
                    or {{ chorus_since_previous('occurred_at', batch) }}
                )
        {% endfor %}
    {%- endfor %}

),

reasons as (

    select
        'identifiers' as reason,
        customer_id
    from {{ ref('customer_identifiers') }}
    where
        resolved_batch_id > {{ batch['previous_identity_batch_id'] }}
        and customer_id is not null

    {% set profiles = chorus_stored_relation('int_customer_profiles') %}
    {% set region = load_relation(
        chorus_identity_region_relation(ref('int_identity_customer_ids'))
    ) %}
    {% set one_identity_batch = region is not none
        and batch['identity_batch_id'] == batch['previous_identity_batch_id'] + 1 %}

    union all
    {% if one_identity_batch %}
        -- the customers the one identity batch since re-resolved, before and after
        select
            'structure' as reason,
            previous_customer_id as customer_id
        from {{ region }}
        where previous_customer_id is not null
        union all
        select
            'structure' as reason,
            customer_ids.customer_id
        from {{ ref('int_identity_customer_ids') }} as customer_ids
        where
            customer_ids.customer_id is not null
            and customer_ids.node_id in (select region.node_id from {{ region }} as region)
    {% else %}
        select
            'structure' as reason,
            customer_id
        from {{ ref('customer_identifiers') }}
        where
            resolved_batch_id > {{ batch['previous_identity_batch_id'] }}
            and customer_id is not null
    {% endif %}

    {% if one_identity_batch %}
        -- the one identity batch since: its region holds the stored customers it
        -- re-resolved, whole (previous_customer_id); one that kept no identifier is gone
        union all
        select distinct
            'merged_away' as reason,
            region.previous_customer_id as customer_id
        from {{ region }} as region
        where
            region.previous_customer_id is not null
            and region.previous_customer_id not in (
                select rewritten.customer_id
                from {{ ref('customer_identifiers') }} as rewritten
                where
                    rewritten.resolved_batch_id > {{ batch['previous_identity_batch_id'] }}
                    and rewritten.customer_id is not null
            )
    {% elif profiles is not none and batch['identity_batch_id'] != batch['previous_identity_batch_id'] %}
        -- several identity batches since: the stored customers no identifier names now
        union all
        select
            'merged_away' as reason,
            stored_profiles.customer_id
        from {{ profiles }} as stored_profiles
        where not exists (
            select 1
            from {{ ref('customer_identifiers') }} as identifiers
            where identifiers.customer_id = stored_profiles.customer_id
        )
    {% endif %}

    {% if profiles is not none %}
        union all
        -- a lifecycle stage limit crossed between P and A (the ages are whole days, as
        -- int_customer_profiles counts them)
        select
            'lifecycle' as reason,
            customer_id
        from {{ profiles }}
        where
            {% for column, limit in [
                ('last_activity_at', var('chorus_anonymous_retention_days')),
                ('last_activity_at', var('chorus_lifecycle_active_days')),
                ('last_activity_at', var('chorus_lifecycle_lapsed_days')),
                ('first_seen_at', var('chorus_lifecycle_new_days')),
            ] -%}
                (
                    {{ dbt.datediff(column, batch['previous_as_of'], 'day') }} <= {{ limit }}
                    and {{ dbt.datediff(column, batch['as_of'], 'day') }} > {{ limit }}
                )
                {% if not loop.last %}or {% endif %}
            {%- endfor %}
    {% endif %}

    union all
    select
        'contacts' as reason,
        customer_id
    from {{ ref('contacts') }}
    where customer_id is not null and built_at > {{ batch['previous_started_at'] }}

    union all
    select
        'complaints' as reason,
        customer_id
    from {{ ref('contacts') }}
    where
        customer_id is not null
        and built_at > {{ batch['previous_started_at'] }}
        and complained_at is not null

    {% set reachability = chorus_stored_relation('int_consent_reachability') %}
    union all
    -- a bounce, or a delivery that may end a run of bounces (int_consent_reachability)
    select
        'bounces' as reason,
        written.customer_id
    from {{ ref('contacts') }} as written
    where
        written.customer_id is not null
        and written.built_at > {{ batch['previous_started_at'] }}
        and (
            written.bounced_at is not null
            {% if reachability is not none -%}
                or (
                    written.delivered_at is not null
                    and (written.customer_id, written.channel) in (
                        select stored.customer_id, stored.channel
                        from {{ reachability }} as stored
                        where stored.bounces_since_delivery > 0
                    )
                )
            {%- endif %}
        )

    union all
    select
        'consent' as reason,
        customer_id
    from {{ ref('int_consent_signals') }}
    where customer_id is not null and built_at > {{ batch['previous_started_at'] }}

    union all
    select
        replaced.reason,
        identifiers.customer_id
    from replaced_identifiers as replaced
    inner join {{ ref('customer_identifiers') }} as identifiers
        on
            replaced.identifier_type = identifiers.identifier_type
            and replaced.identifier_value = identifiers.identifier_value
    where identifiers.customer_id is not null

    union all
    -- a marketing message left one of customer_fatigue's windows
    select
        'contact_windows' as reason,
        contacts.customer_id
    from {{ ref('contacts') }} as contacts
    inner join policy
        on contacts.channel = policy.channel
    where
        {{ chorus_is_marketing_contact() }}
        and (
            {{ chorus_left_window('contacts.sent_at', windows['week'], batch) }}
            or {{ chorus_left_window('contacts.sent_at', windows['recent'], batch) }}
            or {{ chorus_left_window('contacts.sent_at', windows['history'], batch) }}
        )

    {% set triggers = chorus_stored_relation('int_engagement_triggers') %}
    {% if triggers is not none %}
        union all
        select
            'trigger_windows' as reason,
            customer_id
        from {{ triggers }}
        where
            (
                trigger_event = 'unsubscribe_page_view'
                and {{ chorus_left_window('occurred_at', windows['recent'], batch) }}
            )
            or (trigger_event = 'complaint' and {{ chorus_left_window('occurred_at', windows['history'], batch) }})
    {% endif %}

    {% set suppressions = chorus_stored_relation('int_suppression_history') %}
    {% if suppressions is not none %}
        union all
        select
            'suppression_windows' as reason,
            customer_id
        from {{ suppressions }}
        where {{ chorus_since_previous('starts_at', batch) }} or {{ chorus_since_previous('ends_at', batch) }}
    {% endif %}

    {% set orders = chorus_stored_relation('int_orders_resolved') %}
    {% if orders is not none %}
        union all
        -- a purchase left a channel's soft opt-in window (customer_consent)
        select
            'soft_opt_in' as reason,
            orders.customer_id
        from {{ orders }} as orders
        inner join policy
            on
                policy.soft_opt_in_days is not null
                and {{ chorus_left_window('orders.ordered_at', 'policy.soft_opt_in_days', batch) }}
        where orders.status = 'completed'
    {% endif %}

),

{% endif %}

final as (

    {% if incremental_batch -%}
        select
            customer_id,
            {{ dbt.bool_or("reason = 'identifiers'") }} as identifiers,
            {{ dbt.bool_or("reason = 'structure'") }} as structure,
            {{ dbt.bool_or("reason = 'merged_away'") }} as merged_away,
            {{ dbt.bool_or("reason = 'contacts'") }} as contacts,
            {{ dbt.bool_or("reason = 'complaints'") }} as complaints,
            {{ dbt.bool_or("reason = 'bounces'") }} as bounces,
            {{ dbt.bool_or("reason = 'consent'") }} as consent,
            {{ dbt.bool_or("reason = 'orders'") }} as orders,
            {{ dbt.bool_or("reason = 'tickets'") }} as tickets,
            {{ dbt.bool_or("reason = 'crm'") }} as crm,
            {{ dbt.bool_or("reason = 'trigger_events'") }} as trigger_events,
            {{ dbt.bool_or("reason = 'contact_windows'") }} as contact_windows,
            {{ dbt.bool_or("reason = 'trigger_windows'") }} as trigger_windows,
            {{ dbt.bool_or("reason = 'suppression_windows'") }} as suppression_windows,
            {{ dbt.bool_or("reason = 'lifecycle'") }} as lifecycle,
            {{ dbt.bool_or("reason = 'soft_opt_in'") }} as soft_opt_in
        from reasons
        group by 1
    {%- else -%}
        -- a full batch rewrites everyone: no scope
        select
            cast(null as {{ dbt.type_string() }}) as customer_id,
            cast(null as {{ dbt.type_boolean() }}) as identifiers,
            cast(null as {{ dbt.type_boolean() }}) as structure,
            cast(null as {{ dbt.type_boolean() }}) as merged_away,
            cast(null as {{ dbt.type_boolean() }}) as contacts,
            cast(null as {{ dbt.type_boolean() }}) as complaints,
            cast(null as {{ dbt.type_boolean() }}) as bounces,
            cast(null as {{ dbt.type_boolean() }}) as consent,
            cast(null as {{ dbt.type_boolean() }}) as orders,
            cast(null as {{ dbt.type_boolean() }}) as tickets,
            cast(null as {{ dbt.type_boolean() }}) as crm,
            cast(null as {{ dbt.type_boolean() }}) as trigger_events,
            cast(null as {{ dbt.type_boolean() }}) as contact_windows,
            cast(null as {{ dbt.type_boolean() }}) as trigger_windows,
            cast(null as {{ dbt.type_boolean() }}) as suppression_windows,
            cast(null as {{ dbt.type_boolean() }}) as lifecycle,
            cast(null as {{ dbt.type_boolean() }}) as soft_opt_in
        where 1 = 0
    {%- endif %}

)

select * from final
