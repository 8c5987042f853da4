"""Suite rules for the support desk export (raw.support_tickets) beyond the contract
(csat in 1..5 comes from the contract)."""

from __future__ import annotations

import great_expectations.expectations as gxe

from expectations.suites.base import SuiteContext, order_rule
from orchestration.contract import Table


def rules(table: Table, ctx: SuiteContext) -> list[gxe.Expectation]:
    # a ticket resolved before it was opened breaks complaint cooling-off windows
    return [order_rule(table, "resolved_at", "opened_at")]
