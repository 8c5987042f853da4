{#-
    Aggregate: the identity_rules limits a value breaks, as one text, e.g.
    "seen with 2 user_id values (limit 1); seen with 2 phone values at once (limit 1)",
    in counted_type order. Use it in a select grouped by the value, over rows with the
    columns counted_type, breach_values (how many), breach_scope ('' for a limit that does
    not look at time, ' at once' or ' over time') and breach_limit (one row per breached
    limit). `prefix`: the words before the count ('seen with ', 'links customers holding ').
-#}
{% macro chorus_limit_breaches(prefix) -%}
    {#- chorus_ordered_string_agg: dbt.listagg drops the order on Spark -#}
    {{ chorus_ordered_string_agg(
        dbt.concat([
            "'" ~ prefix ~ "'",
            'cast(breach_values as ' ~ dbt.type_string() ~ ')',
            "' '", 'counted_type', "' values'", 'breach_scope',
            "' (limit '",
            'cast(breach_limit as ' ~ dbt.type_string() ~ ')',
            "')'",
        ]),
        "'; '",
        ['counted_type'],
    ) }}
{%- endmacro %}


{#-
    The breached bound of one limit, as the columns chorus_limit_breaches reads, from
    `values` (distinct counted values), `at_once` (the most in use at one time, null when
    not computed) and the limit's max_at_once and max_over_time columns: over time when
    there are more values than the limit allows in all (a limit that does not look at
    time, max_over_time = max_at_once, says just "(limit n)"), else at once. Rows that
    break nothing get breach_values null.
-#}
{% macro chorus_limit_breach_columns(values, at_once) -%}
    case
        when {{ values }} > max_over_time then {{ values }}
        when {{ at_once }} > max_at_once then {{ at_once }}
    end as breach_values,
    case
        when {{ values }} > max_over_time and max_over_time = max_at_once then ''
        when {{ values }} > max_over_time then ' over time'
        else ' at once'
    end as breach_scope,
    case
        when {{ values }} > max_over_time then max_over_time
        else max_at_once
    end as breach_limit
{%- endmacro %}


{#-
    The most values in use at one time, per key: a sweep over `values` (a relation or CTE
    with the `keys` columns, first_active_at, last_active_at and handover_days), +1 where
    a value starts and -1 where it stops. A value stops handover_days before its last
    sighting (never before its first): an old phone number may still be seen that long
    after the next one starts without counting as two at once. Returns a select of the
    keys and values_at_once.
-#}
{% macro chorus_values_at_once(values, keys) -%}
    {%- set key_list = keys | join(', ') -%}
    select
        {{ key_list }},
        max(active_values) as values_at_once
    from (
        select
            {{ key_list }},
            sum(change) over (
                partition by {{ key_list }}
                order by changed_at, change desc
                rows between unbounded preceding and current row
            ) as active_values
        from (
            select
                {{ key_list }},
                first_active_at as changed_at,
                1 as change
            from {{ values }}
            union all
            select
                {{ key_list }},
                greatest(
                    first_active_at,
                    {{ dbt.dateadd('day', '-1 * handover_days', 'last_active_at') }}
                ) as changed_at,
                -1 as change
            from {{ values }}
        ) as changes
    ) as running
    group by {{ key_list }}
{%- endmacro %}
