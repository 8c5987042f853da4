"""The over-merge alarm: a blocking asset check on marts.customer_identifiers that fails
when any customer holds more identifiers than CHORUS_IDENTITY_MAX_CLUSTER_SIZE, the
signature of a shared value (a shop tablet, a placeholder email) that slipped past the
identity rules and glued different people together."""

import dagster as dg

from orchestration.identity.report import quality
from orchestration.resources import WarehouseResource
from orchestration.settings import connect

CUSTOMER_IDENTIFIERS = dg.AssetKey(["marts", "customer_identifiers"])
CUSTOMER_IDENTIFIERS_RELATION = ".".join(CUSTOMER_IDENTIFIERS.path)


@dg.asset_check(
    asset=CUSTOMER_IDENTIFIERS,
    name="identity_cluster_size",
    blocking=True,
    description="Fails when a customer has more identifiers than "
    "CHORUS_IDENTITY_MAX_CLUSTER_SIZE (over-merge alarm).",
)
def identity_cluster_size(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    # the same measurement (and SQL) `chorus identity-report` prints and alarms on: on
    # postgres and spark it reads an in-memory DuckDB copy of the one mart it needs
    if warehouse.target == "duckdb":
        con = connect(warehouse.db, read_only=True)
    else:
        from orchestration.engines.reader import local_copy

        con = local_copy([CUSTOMER_IDENTIFIERS_RELATION], target=warehouse.target)
    try:
        report = quality(con, top=5)
    finally:
        con.close()
    largest = report["largest"]
    return dg.AssetCheckResult(
        passed=report["oversized"] == 0,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "max_cluster_size": report["max_cluster_size"],
            "largest_cluster": largest[0][1] if largest else 0,
            "oversized_customers": report["oversized"],
            "largest_customers": ", ".join(f"{c} ({n})" for c, n, _ in largest),
            "target": warehouse.target,
        },
    )
