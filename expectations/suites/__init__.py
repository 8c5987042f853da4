"""The Great Expectations suites on the raw sources, in code: one suite per raw table,
built from the contract (orchestration/contract.py) plus the rules of the table's source
system module (one module per system: crm, web, app, shop, ...).

    from expectations.suites import build_suite
    suite = build_suite("web_events", ctx)   # a gx.ExpectationSuite, not yet registered
"""

from __future__ import annotations

from types import ModuleType

import great_expectations as gx
import great_expectations.expectations as gxe

from expectations.suites import (
    ads,
    app,
    chat,
    consent,
    crm,
    email,
    push,
    shop,
    sms,
    support,
    web,
)
from expectations.suites.base import SuiteContext, contract_rules, without_missing_columns
from orchestration.contract import TABLES

# contract Table.system -> the module holding that system's table-specific rules
SYSTEM_MODULES: dict[str, ModuleType] = {
    "crm": crm,
    "web": web,
    "app": app,
    "shop": shop,
    "email": email,
    "sms": sms,
    "push": push,
    "chat": chat,
    "ads": ads,
    "support": support,
    "consent": consent,
}


def suite_name(table: str) -> str:
    return f"raw_{table}"


def build_expectations(table: str, ctx: SuiteContext) -> list[gxe.Expectation]:
    """Contract rules then the system's own rules, for a raw table with `ctx.columns`."""
    contract = TABLES[table]
    system = SYSTEM_MODULES[contract.system]
    return contract_rules(contract, ctx) + without_missing_columns(system.rules(contract, ctx), ctx)


def build_suite(table: str, ctx: SuiteContext, name: str | None = None) -> gx.ExpectationSuite:
    """The suite for raw.<table>, named `raw_<table>` unless `name` is given."""
    return gx.ExpectationSuite(
        name=name or suite_name(table),
        expectations=build_expectations(table, ctx),
        meta={"table": f"raw.{table}", "grain": TABLES[table].grain},
    )
