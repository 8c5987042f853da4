{#-
    Aggregate: the identity_rules limits a value breaks, as one text, e.g.
    "seen with 3 user_id values (limit 1); seen with 2 phone values (limit 1)", in
    counted_type order. Use it in a select grouped by the value, over rows with the
    columns counted_type, linked_values and max_linked (one row per breached limit).
    `prefix`: the words before the count ('seen with ', 'links customers holding ').
-#}
{% macro chorus_limit_breaches(prefix) -%}
    {{ dbt.listagg(
        dbt.concat([
            "'" ~ prefix ~ "'",
            'cast(linked_values as ' ~ dbt.type_string() ~ ')',
            "' '", 'counted_type',
            "' values (limit '",
            'cast(max_linked as ' ~ dbt.type_string() ~ ')',
            "')'",
        ]),
        "'; '",
        'order by counted_type',
    ) }}
{%- endmacro %}
