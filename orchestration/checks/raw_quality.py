"""Great Expectations suites on the raw sources as blocking Dagster asset checks: a
failing suite stops the dbt models downstream of that raw table in the same run. They
read schema raw of the warehouse's target (the DuckDB file, PostgreSQL or Spark)."""

import dagster as dg

from orchestration.assets.keys import GX_CHECK_NAME, raw_key
from orchestration.contract import TABLES
from orchestration.resources import WarehouseResource

CHECK_NAME = GX_CHECK_NAME


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            CHECK_NAME,
            asset=raw_key(t),
            blocking=True,
            description=f"Great Expectations suite raw.{t}: keys, enums, time, amounts.",
        )
        for t in TABLES
    ],
    can_subset=True,
    name="raw_gx_checks",
)
def raw_gx_checks(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    from expectations.runner import validate_table

    for check_key in context.selected_asset_check_keys:
        table = check_key.asset_key.path[-1]
        result = validate_table(warehouse.db, table, target=warehouse.target)
        yield dg.AssetCheckResult(
            asset_key=check_key.asset_key,
            check_name=CHECK_NAME,
            passed=bool(result.success),
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={**result.metadata(), "target": warehouse.target},
        )
