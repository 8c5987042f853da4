{#-
    The identifier types of the identity graph, in the column order of
    int_identity_records. Adding a type means a column there, a row in the identity_rules
    seed, and an entry here.
-#}
{% macro chorus_identity_types() -%}
    {{ return(['contact_id', 'user_id', 'email', 'phone', 'device_id', 'anonymous_id', 'email_sha256']) }}
{%- endmacro %}


{#-
    Traits identity_rules may count but that never link anyone (not graph nodes): a CRM
    contact's first name, lower-cased (an int_identity_records column). A person keeps
    their first name through a new number or address; two names on one email's contacts
    are two people.
-#}
{% macro chorus_identity_traits() -%}
    {{ return(['first_name']) }}
{%- endmacro %}
