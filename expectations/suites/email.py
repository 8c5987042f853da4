"""Suite rules for the email provider export (raw.email_events) beyond the contract."""

from __future__ import annotations

import great_expectations.expectations as gxe

from expectations.suites.base import SuiteContext, at_least_one_of_rule
from orchestration.contract import Table


def rules(table: Table, ctx: SuiteContext) -> list[gxe.Expectation]:
    return [
        at_least_one_of_rule(
            table, ("email", "message_id"), "otherwise the event joins no contact or customer", ctx
        )
    ]
