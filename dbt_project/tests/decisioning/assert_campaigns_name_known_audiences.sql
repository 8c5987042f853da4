-- Every campaign names an audience that has a model (chorus_audiences(): one file
-- models/marts/audiences/audience_<name>.sql each). A misspelt audience would leave the
-- campaign without a single candidate, silently.
select
    campaign_id,
    audience
from {{ ref('campaigns') }}
where
    audience is null
    or audience not in (
        {%- for audience in chorus_audiences() -%}
            '{{ audience }}'{{ ', ' if not loop.last }}
        {%- endfor -%}
    )
