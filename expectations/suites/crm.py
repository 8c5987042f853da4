"""Suite rules for the CRM export (raw.crm_contacts) beyond the contract."""

from __future__ import annotations

import great_expectations.expectations as gxe

from expectations.suites.base import WARNING, SuiteContext, order_rule
from orchestration.contract import Table


def rules(table: Table, ctx: SuiteContext) -> list[gxe.Expectation]:
    # a record edited before it was created points at a broken export clock; it does not
    # make the record unusable, so it warns
    return [order_rule(table, "updated_at", "created_at", severity=WARNING)]
