{#-
    Fails for every row where the SQL boolean expression is not true (false or null).
    Model level: `expression: "delivered_at >= sent_at"`. Column level: the expression
    follows the column, e.g. `expression: ">= 0"` on column quantity.
    Same contract as dbt_utils.expression_is_true (the Hub is unreachable here).
-#}
{% test expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
where not coalesce(
    {%- if column_name is none %} {{ expression }}
    {%- else %} {{ column_name }} {{ expression }}
    {%- endif %}, false)

{% endtest %}
