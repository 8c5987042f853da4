"""The over-merge alarm: a blocking asset check on marts.customer_identifiers that fails
when any customer holds more identifiers than CHORUS_IDENTITY_MAX_CLUSTER_SIZE, the
signature of a shared value (a shop tablet, a placeholder email) that slipped past the
identity rules and glued different people together."""

import dagster as dg

from orchestration.resources import WarehouseResource
from orchestration.settings import connect, identity_max_cluster_size

CUSTOMER_IDENTIFIERS = dg.AssetKey(["marts", "customer_identifiers"])


@dg.asset_check(
    asset=CUSTOMER_IDENTIFIERS,
    name="identity_cluster_size",
    blocking=True,
    description="Fails when a customer has more identifiers than "
    "CHORUS_IDENTITY_MAX_CLUSTER_SIZE (over-merge alarm).",
)
def identity_cluster_size(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    limit = identity_max_cluster_size()
    con = connect(warehouse.db, read_only=True)
    try:
        rows = con.sql(
            """
            select customer_id, count(*) as identifiers
            from marts.customer_identifiers
            where customer_id is not null
            group by 1 order by 2 desc, 1 limit 5
            """
        ).fetchall()
        oversized = con.sql(
            f"""
            select count(*) from (
                select customer_id from marts.customer_identifiers
                where customer_id is not null group by 1 having count(*) > {limit}
            )
            """
        ).fetchall()[0][0]
    finally:
        con.close()
    largest = rows[0][1] if rows else 0
    return dg.AssetCheckResult(
        passed=oversized == 0,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "max_cluster_size": limit,
            "largest_cluster": largest,
            "oversized_customers": oversized,
            "largest_customers": ", ".join(f"{c} ({n})" for c, n in rows),
        },
    )
