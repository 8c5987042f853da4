{#-
    The time windows of the engagement models and the test int_engagement_scope makes of
    them: which customers' rows change because as_of moved.
-#}

{#- For int_engagement_scope: a time `column` that was within `days` days before the
    previous batch's as_of and is more than `days` before this batch's (it left a
    trailing window); `days` a number or a SQL expression. -#}
{% macro chorus_left_window(column, days, batch) -%}
    ({{ column }} > {{ dbt.dateadd('day', '-(' ~ days ~ ')', batch['previous_as_of']) }}
    and {{ column }} <= {{ dbt.dateadd('day', '-(' ~ days ~ ')', batch['as_of']) }})
{%- endmacro %}


{#- For int_engagement_scope: a time `column` after the previous batch's as_of and up
    to this batch's (what staging newly shows at this as_of). -#}
{% macro chorus_since_previous(column, batch) -%}
    ({{ column }} > {{ batch['previous_as_of'] }} and {{ column }} <= {{ batch['as_of'] }})
{%- endmacro %}


{#- The trailing windows of customer_fatigue, in days, in one place: contacts_last_7d
    (week); the recent engagement, pressure and unsubscribe-page signals (recent); the
    complaint signal and the channel share (history). int_engagement_scope finds the
    customers whose messages left them. -#}
{% macro chorus_fatigue_windows() -%}
    {{ return({'week': 7, 'recent': 28, 'history': 90}) }}
{%- endmacro %}

