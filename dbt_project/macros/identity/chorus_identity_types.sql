{#-
    The identifier types of the identity graph, in the column order of
    int_identity_records. Adding a type means a column there, a row in the identity_rules
    seed, and an entry here.
-#}
{% macro chorus_identity_types() -%}
    {{ return(['contact_id', 'user_id', 'email', 'phone', 'device_id', 'anonymous_id', 'email_sha256']) }}
{%- endmacro %}
