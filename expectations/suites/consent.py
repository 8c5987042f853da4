"""Suite rules for consent changes (raw.consent_events) beyond the contract."""

from __future__ import annotations

import great_expectations.expectations as gxe

from expectations.suites.base import SuiteContext, at_least_one_of_rule
from orchestration.contract import Table


def rules(table: Table, ctx: SuiteContext) -> list[gxe.Expectation]:
    # an opt-out that names nobody cannot propagate; it warns so it is seen and fixed at
    # the source (blocking everything else would not make it apply)
    return [
        at_least_one_of_rule(
            table,
            ("user_id", "email", "phone", "device_id"),
            "otherwise the consent change applies to nobody",
            ctx,
        )
    ]
