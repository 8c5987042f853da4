"""Suite rules for chat / in-app conversations (raw.chat_events) beyond the contract
(sentiment in -1..1 comes from the contract)."""

from __future__ import annotations

import great_expectations.expectations as gxe

from expectations.suites.base import SuiteContext, at_least_one_of_rule
from orchestration.contract import Table


def rules(table: Table, ctx: SuiteContext) -> list[gxe.Expectation]:
    return [
        at_least_one_of_rule(
            table,
            ("anonymous_id", "user_id", "email"),
            "otherwise a complaint cannot suppress anyone",
            ctx,
        )
    ]
