"""Suite rules for the shop (raw.orders, raw.order_items, raw.products) beyond the
contract: order lines must belong to a loaded order; currencies look like ISO 4217."""

from __future__ import annotations

import great_expectations.expectations as gxe

from expectations.suites.base import (
    CRITICAL,
    CUSTOM,
    RAW_SCHEMA,
    REFERENCE,
    WARNING,
    SuiteContext,
    query_rule,
)
from orchestration.contract import TABLES, Table


def reference_rule(
    table: Table, column: str, parent: str, parent_column: str, ctx: SuiteContext
) -> gxe.Expectation:
    """Every non-null `column` exists in raw.<parent>.<parent_column>: one row per orphan
    value with its row count. NOT IN over a null-free subquery is an anti-join in DuckDB
    (and in PostgreSQL and Spark)."""
    col, ref = ctx.q(column), ctx.q(parent_column)
    return query_rule(
        f"select {col} as value, count(*) as n from {{batch}} "
        f"where {col} is not null and {col} not in "
        f"(select {ref} from {RAW_SCHEMA}.{ctx.q(parent)} where {ref} is not null) "
        f"group by {col} order by n desc, value",
        rule=REFERENCE,
        column=column,
        severity=CRITICAL,
        description=f"every {table.name}.{column} exists in raw.{parent}.{parent_column}",
        parent=f"raw.{parent}.{parent_column}",
        requires=[column],
    )


def rules(table: Table, ctx: SuiteContext) -> list[gxe.Expectation]:
    if table.name == "order_items":
        orders = TABLES["orders"]
        if orders.name not in ctx.raw_tables:
            ctx.notes.append(
                "order_items.order_id -> raw.orders: not checked (raw.orders is not loaded)"
            )
            return []
        return [reference_rule(table, "order_id", orders.name, orders.key[0], ctx)]
    if table.name == "orders":
        col = ctx.q("currency")
        return [
            query_rule(
                f"select {col} as value, count(*) as n from {{batch}} "
                f"where {col} is not null "
                f"and not {ctx.dialect.full_match(f'trim({col})', '[A-Za-z]{3}')} "
                f"group by {col} order by n desc, value",
                rule=CUSTOM,
                column="currency",
                severity=WARNING,
                description="orders.currency is a 3-letter ISO 4217 code",
                what="not a 3-letter currency code",
                requires=["currency"],
            )
        ]
    return []
