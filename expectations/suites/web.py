"""Suite rules for web tracking (raw.web_events) beyond the contract."""

from __future__ import annotations

import great_expectations.expectations as gxe

from expectations.suites.base import SuiteContext, at_least_one_of_rule
from orchestration.contract import Table


def rules(table: Table, ctx: SuiteContext) -> list[gxe.Expectation]:
    # an event nobody can be tied to (no anonymous_id, user_id nor email) is dead weight
    # for identity resolution and attribution
    return [
        at_least_one_of_rule(
            table, ("anonymous_id", "user_id", "email"), "otherwise it joins no customer", ctx
        )
    ]
