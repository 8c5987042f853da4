{#-
    A phone number in E.164 ('+' and 8 to 15 digits), or null when it cannot be read.

    Four small macros, each applied to COLUMNS of the step before, so a model computes
    every regular expression once per row (Jinja `set` is textual: one big macro inlined
    the cleaning regex into the digits regexes, and both into every CASE branch):

        renamed:     chorus_phone_cleaned(phone)                 as phone_cleaned
        phone_parts: chorus_phone_digits(phone_cleaned)          as phone_digits,
                     chorus_phone_international_digits(phone_cleaned)
                                                                 as phone_international_digits
        final:       chorus_phone_to_e164(phone_cleaned, phone_digits,
                         phone_international_digits, calling_code, trunk_prefix) as phone

    chorus_phone_to_e164 takes the calling code and trunk prefix of the country the number
    is read in (the row's country if it has one, else var chorus_default_country; both
    come from the country_calling_codes seed, null for an unknown country).

    Rules, in order (docs/DECISIONS.md "Phone numbers"):
    1. Extensions ("x12", "ext. 12", "#12") are dropped; so are all non-digits.
    2. International forms keep their own country code: a leading '+' (with a "(0)"
       trunk hint removed: '+44 (0)20 ...' is +4420...), or the '00' international
       prefix; in NANP countries also '011'.
    3. NANP (calling code 1): 10 digits, or 11 starting with 1, are +1 numbers.
    4. Countries with a trunk prefix ('0' in GB, DE, FR, AU, ...): a national number
       starting with it drops it and gains the country code; one that starts with the
       country code instead is international with the '+' left out; anything else is
       ambiguous (a foreign number missing its '+'?) and becomes null rather than a
       wrong number someone could text. Countries without one (IT, ES, DK, ...): the
       country code is prepended to the digits as written.
    5. The result must have 8-15 digits and no leading 0; +1 numbers must be NANP-shaped
       (10 digits after the 1, area code and exchange starting 2-9). Anything else is null.

    Validation is shape-only, deliberately: the phonenumbers library (used by the
    Python side) knows every numbering plan, but it is not available inside the
    warehouse, and the same SQL must run on DuckDB, PostgreSQL and Spark.
-#}

{#- Rule 1, first half: lowercased, trimmed, extension cut off (one regex). -#}
{% macro chorus_phone_cleaned(phone) -%}
    {{ chorus_regexp_replace_all(
        'lower(trim(cast(' ~ phone ~ ' as ' ~ dbt.type_string() ~ ')))', '(ext|x|#).*$', ''
    ) }}
{%- endmacro %}

{#- The digits of a cleaned phone, as written (one regex). -#}
{% macro chorus_phone_digits(cleaned) -%}
    {{ chorus_regexp_replace_all(cleaned, '[^0-9]', '') }}
{%- endmacro %}

{#- The digits of a cleaned phone without a "(0)" trunk hint, for '+'/'00'/'011' forms (one regex). -#}
{% macro chorus_phone_international_digits(cleaned) -%}
    {{ chorus_regexp_replace_all('replace(' ~ cleaned ~ ', \'(0)\', \'\')', '[^0-9]', '') }}
{%- endmacro %}

{#-
    Rules 2-5 on the columns above: a CASE of cheap string tests picks the candidate
    digits, one regex validates them. Pass column references, not expressions: the
    candidate appears twice in the output.
-#}
{% macro chorus_phone_to_e164(cleaned, digits, international_digits, calling_code, trunk_prefix) -%}
    {%- set candidate -%}
        case
            when {{ cleaned }} like '+%' then {{ international_digits }}
            when {{ digits }} like '00%' then substr({{ international_digits }}, 3)
            when {{ calling_code }} = '1' and {{ digits }} like '011%'
                then substr({{ international_digits }}, 4)
            when {{ calling_code }} = '1' and length({{ digits }}) = 10
                then '1' || {{ digits }}
            when {{ calling_code }} = '1' and length({{ digits }}) = 11 and {{ digits }} like '1%'
                then {{ digits }}
            when {{ calling_code }} = '1' then null
            when {{ trunk_prefix }} is not null and {{ digits }} like ({{ trunk_prefix }} || '%')
                then {{ calling_code }} || substr({{ digits }}, length({{ trunk_prefix }}) + 1)
            when {{ trunk_prefix }} is not null and {{ digits }} like ({{ calling_code }} || '%')
                then {{ digits }}
            when {{ trunk_prefix }} is not null then null
            else {{ calling_code }} || {{ digits }}
        end
    {%- endset -%}
    case
        when {{ chorus_regexp_like(candidate, '^(1[2-9][0-9]{2}[2-9][0-9]{6}|[2-9][0-9]{7,14})$') }}
            then '+' || {{ candidate }}
    end
{%- endmacro %}
