{#-
    An email as identity keys compare it: trimmed and lowercased; null when blank or
    when it is not shaped like an address (no '@' with text on both sides and a dot in
    the domain, or whitespace inside). Junk that is shaped like an address
    (test@test.com) is the identity rules' business, not staging's.
-#}
{% macro chorus_normalize_email(expression) -%}
    case
        when lower(trim({{ expression }})) like '%_@_%._%'
            and lower(trim({{ expression }})) not like '% %'
            then lower(trim({{ expression }}))
    end
{%- endmacro %}
