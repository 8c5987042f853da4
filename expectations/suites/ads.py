"""Suite rules for paid-media events (raw.ad_events) beyond the contract (cost >= 0
comes from the contract)."""

from __future__ import annotations

import great_expectations.expectations as gxe

from expectations.suites.base import CUSTOM, WARNING, SuiteContext, query_rule
from orchestration.contract import Table


def rules(table: Table, ctx: SuiteContext) -> list[gxe.Expectation]:
    # platforms match audiences on SHA-256 hex digests: anything else never matches
    col = ctx.q("email_sha256")
    return [
        query_rule(
            f"select {col} as value, count(*) as n from {{batch}} "
            f"where {col} is not null "
            f"and not {ctx.dialect.full_match(f'lower(trim({col}))', '[0-9a-f]{64}')} "
            f"group by {col} order by n desc, value",
            rule=CUSTOM,
            column="email_sha256",
            severity=WARNING,
            description="ad_events.email_sha256 is a 64-character hex SHA-256 digest",
            what="not a SHA-256 hex digest",
            requires=["email_sha256"],
        )
    ]
