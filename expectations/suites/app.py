"""Suite rules for mobile-app events (raw.app_events) beyond the contract."""

from __future__ import annotations

import great_expectations.expectations as gxe

from expectations.suites.base import SuiteContext, at_least_one_of_rule
from orchestration.contract import Table


def rules(table: Table, ctx: SuiteContext) -> list[gxe.Expectation]:
    return [
        at_least_one_of_rule(table, ("device_id", "user_id"), "otherwise it joins no customer", ctx)
    ]
