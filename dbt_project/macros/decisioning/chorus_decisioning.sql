{#-
    Decisioning helpers (send_queue and the models before it).
-#}

{#-
    The audiences campaigns may name (campaigns.audience), one model each:
    models/marts/audiences/audience_<name>.sql, one row per customer_id with
    qualified_at (when the customer last entered the audience). dbt must know a model's
    refs when it parses the project, so int_decision_audience_members reads the models
    of this list; a test fails when a file and the list part, or when a campaign names
    an audience missing here (assert_campaigns_name_known_audiences).
-#}
{% macro chorus_audiences() -%}
    {{ return([
        'all', 'customers', 'prospects', 'new_signups', 'cart_abandoners',
        'product_viewers', 'recent_purchasers', 'lapsed_90d', 'app_users',
    ]) }}
{%- endmacro %}


{#- Is `value` one of the pipe-separated list `list_column` ('email|sms|push')? -#}
{% macro chorus_in_pipe_list(list_column, value) -%}
    {{ dbt.concat(["'|'", list_column, "'|'"]) }} like {{ dbt.concat(["'%|'", value, "'|%'"]) }}
{%- endmacro %}


{#-
    How many marketing messages a contact channel may still carry this period, before
    any ramp after a pause: channel_policy.daily_max less the messages of the last 24
    hours; a channel with no daily maximum is unlimited (1000000).
    int_decision_channel_allowance keeps only the channels below this for the messages
    they carried or a ramp; its readers take this, with nothing sent, for the others.
-#}
{% macro chorus_daily_allowance(daily_max, sent_last_24h='0') -%}
    coalesce({{ daily_max }} - {{ sent_last_24h }}, 1000000)
{%- endmacro %}


{#-
    How many marketing messages a customer may still get this period on the paced
    channels together (channel_policy.is_paced: email, SMS, push): var
    chorus_daily_share_of_weekly_cap of the weekly cap, rounded up, less their marketing
    messages there of the last 24 hours (the sum of
    int_decision_channel_allowance.contacts_last_24h over the paced channels: it holds
    every channel messaged in the last 7 days; chorus_paced_contacts_last_24h). The share
    is written as a literal, so the product is exact decimal arithmetic on every engine
    (0.5 * 5 is 2.5, not 2.5000000001).
-#}
{% macro chorus_daily_contact_allowance(weekly_cap, sent_last_24h='0') -%}
    {%- set share = var('chorus_daily_share_of_weekly_cap') -%}
    {%- if share is not number or share <= 0 or share > 1 -%}
        {{ exceptions.raise_compiler_error(
            'var chorus_daily_share_of_weekly_cap is ' ~ share ~ ': give a number more'
            ~ ' than 0 and at most 1 (1 switches pacing off), e.g. --vars'
            ~ ' \'{chorus_daily_share_of_weekly_cap: 0.5}\''
        ) }}
    {%- endif -%}
    cast(ceil(coalesce({{ weekly_cap }}, 0) * {{ share }}) as {{ dbt.type_int() }})
    - coalesce({{ sent_last_24h }}, 0)
{%- endmacro %}


{#- One row per customer with marketing messages on the paced channels in the 24 hours
    before as_of: how many (contacts_last_24h), what chorus_daily_contact_allowance
    subtracts. The queue and its invariant test both read it. -#}
{% macro chorus_paced_contacts_last_24h() -%}
    select
        allowance.customer_id,
        sum(allowance.contacts_last_24h) as contacts_last_24h
    from {{ ref('int_decision_channel_allowance') }} as allowance
    inner join {{ ref('channel_policy') }} as paced
        on allowance.channel = paced.channel
    where paced.is_paced
    group by 1
{%- endmacro %}


{#- The consent purpose of a campaign objective: transactional or marketing. -#}
{% macro chorus_campaign_purpose(objective) -%}
    case when {{ objective }} = 'transactional' then 'transactional' else 'marketing' end
{%- endmacro %}


{#-
    The first `digits` hexadecimal digits of an MD5 (dbt.hash's text) as a BIGINT: the
    same number on every engine. At most 15 digits (60 bits) fit a signed BIGINT.
-#}
{% macro chorus_hash_prefix_int(md5_hex, digits) -%}
    {{ return(adapter.dispatch('chorus_hash_prefix_int', 'chorus')(md5_hex, digits)) }}
{%- endmacro %}

{% macro default__chorus_hash_prefix_int(md5_hex, digits) -%}
    cast(('0x' || substr({{ md5_hex }}, 1, {{ digits }})) as bigint)
{%- endmacro %}

{% macro postgres__chorus_hash_prefix_int(md5_hex, digits) -%}
    ('x' || lpad(substr({{ md5_hex }}, 1, {{ digits }}), 16, '0'))::bit(64)::bigint
{%- endmacro %}

{% macro spark__chorus_hash_prefix_int(md5_hex, digits) -%}
    cast(conv(substr({{ md5_hex }}, 1, {{ digits }}), 16, 10) as bigint)
{%- endmacro %}


{#-
    A stable bucket 0..9999 of a text (the holdout group): the first 32 bits of its MD5,
    modulo 10000. The same on every engine, and it depends on the text alone.
-#}
{% macro chorus_hash_bucket(expression) -%}
    mod({{ chorus_hash_prefix_int(dbt.hash(expression), 8) }}, 10000)
{%- endmacro %}


{#-
    A 60-bit integer hash of a text expression, as a BIGINT: the first 15 hex digits of
    its MD5. The same number on every engine, so what is ordered or keyed by it agrees
    between engines, and 8 bytes to store and join where the MD5's text is 32
    (int_decision_candidates.candidate_id: the text cost 1.8 s to write per 5.8M rows
    at 1M customers, the integer 0.1 s; docs/DECISIONS.md "The send queue at 1M").

    Two values with the same hash would be one key. With n values the chance of any
    collision is about n^2 / 2^61: 1.5e-5 at 5.8 million candidates. A unique test on
    the key fails the build then instead of merging two rows.
-#}
{% macro chorus_hash_bigint(expression) -%}
    {{ chorus_hash_prefix_int(dbt.hash(expression), 15) }}
{%- endmacro %}


{#- Is the customer in the global holdout (var chorus_holdout_share)? -#}
{% macro chorus_is_holdout(customer_id) -%}
    {{ chorus_hash_bucket(customer_id) }} < {{ (var('chorus_holdout_share') | float * 10000) | round | int }}
{%- endmacro %}


{#- A naive UTC timestamp as the naive wall-clock time of an IANA zone, and back. -#}
{% macro chorus_utc_to_local(utc_timestamp, time_zone) -%}
    {{ return(adapter.dispatch('chorus_utc_to_local', 'chorus')(utc_timestamp, time_zone)) }}
{%- endmacro %}

{% macro default__chorus_utc_to_local(utc_timestamp, time_zone) -%}
    cast((({{ utc_timestamp }}) at time zone 'UTC') at time zone ({{ time_zone }}) as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro duckdb__chorus_utc_to_local(utc_timestamp, time_zone) -%}
    cast(timezone({{ time_zone }}, cast({{ utc_timestamp }} as timestamptz)) as timestamp)
{%- endmacro %}

{% macro spark__chorus_utc_to_local(utc_timestamp, time_zone) -%}
    from_utc_timestamp({{ utc_timestamp }}, {{ time_zone }})
{%- endmacro %}


{% macro chorus_local_to_utc(local_timestamp, time_zone) -%}
    {{ return(adapter.dispatch('chorus_local_to_utc', 'chorus')(local_timestamp, time_zone)) }}
{%- endmacro %}

{% macro default__chorus_local_to_utc(local_timestamp, time_zone) -%}
    cast((({{ local_timestamp }}) at time zone ({{ time_zone }})) at time zone 'UTC' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro duckdb__chorus_local_to_utc(local_timestamp, time_zone) -%}
    cast(timezone({{ time_zone }}, cast({{ local_timestamp }} as timestamp)) as timestamp)
{%- endmacro %}

{% macro spark__chorus_local_to_utc(local_timestamp, time_zone) -%}
    to_utc_timestamp({{ local_timestamp }}, {{ time_zone }})
{%- endmacro %}


{#- Is a local hour (0-23) inside the quiet hours [start, end) of a channel_policy row
    (start > end wraps midnight: 21-8)? False when the channel has none. -#}
{% macro chorus_in_quiet_hours(hour, start, end) -%}
    coalesce(
        case
            when {{ start }} > {{ end }} then {{ hour }} >= {{ start }} or {{ hour }} < {{ end }}
            else {{ hour }} >= {{ start }} and {{ hour }} < {{ end }}
        end,
        false
    )
{%- endmacro %}


{#- Days of shopping behaviour the decisioning models read: `web` the longest window
    that reads views and carts (the viewer and cart audiences, the category affinity's
    chorus_category_affinity_days, the visits' chorus_visit_window_days); `app` that or
    the app users' window, the longer. -#}
{% macro chorus_decision_behaviour_days(source='web') -%}
    {%- set web = [
        var('chorus_category_affinity_days') | int,
        var('chorus_visit_window_days') | int,
        var('chorus_audience_viewer_days') | int,
        ((var('chorus_audience_cart_hours') | int) / 24) | round(0, 'ceil') | int,
    ] | max -%}
    {{ return([web, var('chorus_audience_app_user_days') | int] | max if source == 'app' else web) }}
{%- endmacro %}


{#- The length of a decision period (chorus_decision_period_hours) in seconds. -#}
{% macro chorus_decision_period_seconds() -%}
    {{ return(3600 * (var('chorus_decision_period_hours') | int)) }}
{%- endmacro %}


{#- How many decision periods (chorus_decision_period_hours) the visit window
    (chorus_visit_window_days) holds: the bits of int_decision_behaviour.active_periods,
    so at most 62 (a BIGINT's bits less the sign's, with room to spare). -#}
{% macro chorus_visit_window_periods() -%}
    {%- set periods = ((var('chorus_visit_window_days') | int) * 86400)
        // chorus_decision_period_seconds() -%}
    {%- if periods < 1 or periods > 62 -%}
        {{ exceptions.raise_compiler_error(
            'chorus_visit_window_days (' ~ var('chorus_visit_window_days') ~ ') must hold 1 to 62 '
            ~ 'periods of chorus_decision_period_hours (' ~ var('chorus_decision_period_hours')
            ~ '); it holds ' ~ periods ~ '. Change one of the two vars in dbt_project.yml.'
        ) }}
    {%- endif -%}
    {{ return(periods) }}
{%- endmacro %}


{#- The number of bits set in a BIGINT bit mask (int_decision_behaviour.active_periods). -#}
{% macro chorus_bit_count(mask) -%}
    {{ return(adapter.dispatch('chorus_bit_count', 'chorus')(mask)) }}
{%- endmacro %}

{% macro default__chorus_bit_count(mask) -%}
    bit_count({{ mask }})
{%- endmacro %}

{% macro postgres__chorus_bit_count(mask) -%}
    bit_count(cast({{ mask }} as bit(64)))
{%- endmacro %}


{#- The end of the period the queue decides (as_of plus chorus_decision_period_hours): a
    send time must fall before it, and a message is held only while it is still valid
    after it. -#}
{% macro chorus_period_end() -%}
    {{ dbt.dateadd('hour', var('chorus_decision_period_hours'), chorus_as_of()) }}
{%- endmacro %}


{#- When a due candidate stops being worth sending: its journey step's
    stale_after_hours (journey_steps) after it is due, else chorus_journey_stale_days
    (a standalone campaign's candidate is due at as_of). The candidates drop what is
    stale at as_of; the queue holds a message only while it is not stale at the
    period's end. -#}
{% macro chorus_stale_at(due_at, stale_after_hours) -%}
    {{ dbt.dateadd(
        'hour',
        'coalesce(' ~ stale_after_hours ~ ', ' ~ (24 * var('chorus_journey_stale_days')) ~ ')',
        due_at
    ) }}
{%- endmacro %}


{#- The decision period of as_of, as text: the number of chorus_decision_period_hours
    periods since 1970-01-01 UTC ('p' and the number). Computed in Jinja, so it is the
    same text on every engine. -#}
{% macro chorus_decision_period_id() -%}
    {%- set as_of = modules.datetime.datetime.strptime(chorus_as_of_text()[:19], '%Y-%m-%d %H:%M:%S') -%}
    {%- set epoch = modules.datetime.datetime(1970, 1, 1) -%}
    {%- set seconds = ((as_of - epoch).days * 86400 + (as_of - epoch).seconds) -%}
    {{ return('p' ~ (seconds // chorus_decision_period_seconds())) }}
{%- endmacro %}


{#-
    Does the suppressions row `suppression` (an alias) apply to a message whose campaign
    objective is `objective`? The scopes checked: with `campaign` (an alias of a campaigns
    row), everything (`all`), its topic, product, category and objective; with `channel`
    (an expression), that channel, and for paid media the `paid_audience` 'prospecting'
    exclusion of acquisition campaigns. A suppression whose exempt_objectives list the
    objective does not apply. The send queue's models and its invariant test read the
    rule here.
-#}
{% macro chorus_suppression_applies(suppression, objective, campaign=none, channel=none) -%}
    (
        {%- if campaign %}
        {{ suppression }}.scope = 'all'
        or ({{ suppression }}.scope = 'topic' and {{ suppression }}.scope_value = {{ campaign }}.topic)
        or ({{ suppression }}.scope = 'product' and {{ suppression }}.scope_value = {{ campaign }}.product_id)
        or ({{ suppression }}.scope = 'category' and {{ suppression }}.scope_value = {{ campaign }}.category)
        or ({{ suppression }}.scope = 'objective' and {{ suppression }}.scope_value = {{ objective }})
        {%- endif %}
        {%- if campaign and channel %}
        or
        {%- endif %}
        {%- if channel %}
        ({{ suppression }}.scope = 'channel' and {{ suppression }}.scope_value = {{ channel }})
        or (
            {{ suppression }}.scope = 'paid_audience'
            and {{ suppression }}.scope_value = 'prospecting'
            and {{ channel }} = 'ads'
            and {{ objective }} = 'acquisition'
        )
        {%- endif %}
    )
    and not coalesce({{ chorus_in_pipe_list(suppression ~ '.exempt_objectives', objective) }}, false)
{%- endmacro %}


{#- Does the topic window (var chorus_topic_window_days) apply to a campaign objective?
    Not to chorus_topic_window_exempt_objectives. -#}
{% macro chorus_topic_window_applies(objective) -%}
    {{ objective }} not in (
        {%- for exempt in var('chorus_topic_window_exempt_objectives') -%}
            '{{ exempt }}'{{ ', ' if not loop.last }}
        {%- endfor -%}
    )
{%- endmacro %}
