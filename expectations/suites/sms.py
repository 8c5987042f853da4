"""Suite rules for the SMS provider export (raw.sms_events) beyond the contract."""

from __future__ import annotations

import great_expectations.expectations as gxe

from expectations.suites.base import SuiteContext, at_least_one_of_rule
from orchestration.contract import Table


def rules(table: Table, ctx: SuiteContext) -> list[gxe.Expectation]:
    # opt-outs arrive here: one without a phone or message cannot be applied to anyone
    return [
        at_least_one_of_rule(
            table, ("phone", "message_id"), "otherwise an opt-out cannot be applied", ctx
        )
    ]
