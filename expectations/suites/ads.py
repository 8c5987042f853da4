"""Suite rules for paid-media events (raw.ad_events) beyond the contract (cost >= 0
comes from the contract)."""

from __future__ import annotations

import great_expectations.expectations as gxe

from expectations.suites.base import CUSTOM, WARNING, SuiteContext, query_rule
from orchestration.contract import Table


def rules(table: Table, ctx: SuiteContext) -> list[gxe.Expectation]:
    # platforms match audiences on SHA-256 hex digests: anything else never matches
    return [
        query_rule(
            "select email_sha256 as value, count(*) as n from {batch} "
            "where email_sha256 is not null "
            "and not regexp_full_match(lower(trim(email_sha256)), '[0-9a-f]{{64}}') "
            "group by email_sha256 order by n desc, value",
            rule=CUSTOM,
            column="email_sha256",
            severity=WARNING,
            description="ad_events.email_sha256 is a 64-character hex SHA-256 digest",
            what="not a SHA-256 hex digest",
            requires=["email_sha256"],
        )
    ]
