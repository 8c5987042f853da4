{#- The channels of channel_policy laid side by side, one column per channel. -#}

{#- The channels of the channel_policy seed, in its order, for models that lay them
    side by side (one column per channel): 'consent' every channel consent is kept for,
    'contact' the channels messages go out on (is_contact). A singular test
    (assert_channel_lists_match_channel_policy) fails when the seed and these lists
    part. -#}
{% macro chorus_channels(kind) -%}
    {%- set channels = {
        'consent': ['email', 'sms', 'push', 'chat', 'ads'],
        'contact': ['email', 'sms', 'push', 'chat'],
    } -%}
    {{ return(channels[kind]) }}
{%- endmacro %}


{#- For a row with one column per channel (`<channel>_<column>` of `relation`, a channel
    of chorus_channels('consent')), joined to the channel_policy row `policy`: the
    value of the policy's channel. -#}
{% macro chorus_channel_column(relation, column) -%}
    case policy.channel
        {% for channel in chorus_channels('consent') -%}
            when '{{ channel }}' then {{ relation }}.{{ channel }}_{{ column }}
        {% endfor -%}
    end
{%- endmacro %}



{#- A message that counts as a marketing contact (fatigue, the caps, their windows): a
    marketing message to a resolved customer on a channel messages go out on.
    `contacts` is a contacts row, `policy` its channel's channel_policy row. -#}
{% macro chorus_is_marketing_contact(contacts='contacts', policy='policy') -%}
    {{ contacts }}.customer_id is not null
    and {{ contacts }}.purpose = 'marketing'
    and {{ policy }}.is_contact
{%- endmacro %}
