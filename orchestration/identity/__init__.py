"""Identity resolution seen from outside dbt: quality against ground truth (report),
why a customer holds what it holds (explain), and what a rule change would do before it
is made (diff). The resolution itself is the dbt models in
dbt_project/models/intermediate/identity/."""
