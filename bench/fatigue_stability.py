"""How much the learned weekly caps move with the sample: the fatigue curve's two cap
rules on disjoint parts of one warehouse's customers.

`uv run python -m bench.fatigue_stability WAREHOUSE [PARTS]` splits the customers of
`intermediate.int_fatigue_message_pressure` (the fit's input) into PARTS groups by a
hash of customer_id, computes each group's standardized curve (the Mantel-Haenszel rate
ratio of int_fatigue_curves) and prints each tier's cap by two rules:

- `points`: the rule before 2026-12-07, read point by point off the standardized rates
  (the largest n up to which n * rate(n - 1) grows by the threshold at each step);
- `fitted`: the rule of int_fatigue_curves now, read off the log-logistic curve fitted
  through the points (least squares on ln(r0 / r - 1) = k ln c - k ln c50, weights
  sqrt(matched messages), points with at least the minimum of matched messages).

This is an analysis replica of the model's estimator in Python, kept to compare the two
rules on many samples; with PARTS=1 it gives the caps the model gives (checked on the
200k and 1M warehouses of `make bench`, 2026-12-07). Results: BENCHMARKS.md.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import yaml

from orchestration.settings import DBT_PROJECT_DIR, connect

VARS = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
THRESHOLD = VARS["chorus_fatigue_min_marginal_engagement"]
MIN_MESSAGES = VARS["chorus_fatigue_curve_min_messages"]
MAX_CONTACTS = VARS["chorus_fatigue_curve_max_contacts"]

CURVES = """
with strata as (
    select hash(customer_id) % {parts} as part, engagement_tier as tier, customer_id,
        channel, least(contacts_7d, {max_contacts}) as c, count(*)::double as n,
        sum(case when is_engaged then 1 else 0 end)::double as e
    from intermediate.int_fatigue_message_pressure group by all
),
points as (select part, tier, c, sum(n) as n, sum(e) as e from strata group by all),
mh as (
    select p.part, p.tier, p.c, sum(p.e * u.n / (p.n + u.n)) as num,
        sum(u.e * p.n / (p.n + u.n)) as den, sum(p.n) as matched
    from strata as p join strata as u
        on p.customer_id = u.customer_id and p.channel = u.channel and u.c = 0
    where p.c > 0 group by all
)
select points.part, points.tier, points.c, points.n,
    case when points.c = 0 then points.n else coalesce(mh.matched, 0) end,
    case when points.c = 0 then points.e / points.n
        else r0.e / r0.n * mh.num / nullif(mh.den, 0) end
from points left join mh using (part, tier, c)
join points as r0 on r0.part = points.part and r0.tier = points.tier and r0.c = 0
order by 1, 2, 3
"""


def points_cap(curve: list[tuple]) -> int:
    cap, before = 0, 0.0
    for c, n, _matched, rate in curve:
        if c != cap or n < MIN_MESSAGES or rate is None or (c + 1) * rate - before < THRESHOLD:
            break
        cap, before = c + 1, (c + 1) * rate
    return max(cap, 1)


def fitted_cap(curve: list[tuple]) -> int | None:
    r0 = curve[0][3]
    rows = [
        (math.sqrt(m), math.log(c), math.log(r0 / r - 1))
        for c, _n, m, r in curve
        if c > 0 and m >= MIN_MESSAGES and r is not None and 0 < r < r0
    ]
    if len(rows) < 3:
        return None
    sw = sum(w for w, _, _ in rows)
    sx, sy = sum(w * x for w, x, _ in rows), sum(w * y for w, _, y in rows)
    sxx, sxy = sum(w * x * x for w, x, _ in rows), sum(w * x * y for w, x, y in rows)
    k = (sw * sxy - sx * sy) / (sw * sxx - sx * sx)
    if k <= 0:
        return None
    intercept = (sy - k * sx) / sw

    def rate(c: int) -> float:
        return r0 if c == 0 else r0 / (1 + math.exp(intercept + k * math.log(c)))

    extent = 0
    for c, _n, m, r in curve:
        if c != extent or m < MIN_MESSAGES or r is None:
            break
        extent += 1
    cap = 1
    while cap < extent and (cap + 1) * rate(cap) - cap * rate(cap - 1) >= THRESHOLD:
        cap += 1
    return cap


def main() -> None:
    warehouse, parts = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1
    con = connect(Path(warehouse), read_only=True)
    rows = con.sql(CURVES.format(parts=parts, max_contacts=MAX_CONTACTS)).fetchall()
    con.close()
    print(f"{warehouse}: {parts} part(s)")
    for tier in ("high", "medium", "light"):
        for rule, cap_of in (("points", points_cap), ("fitted", fitted_cap)):
            caps = [
                cap_of([row[2:] for row in rows if row[0] == part and row[1] == tier])
                for part in range(parts)
            ]
            print(f"  {tier:6s} {rule:6s} {caps}")


if __name__ == "__main__":
    main()
