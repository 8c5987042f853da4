"""One asset per raw table (schema raw), materialized by the loader from the data folder.

A single subsettable multi-asset: selecting three tables loads only those three files,
and each table reports its own read/loaded/rejected counts. Every load is checked in the
DuckDB file; on the postgres and spark targets the loader then publishes the changed raw
tables to the target's schema raw, where dbt and the checks read them."""

import dagster as dg

from orchestration import settings
from orchestration.assets.keys import REJECTED_ROWS_KEY, raw_key, rejected_rows_metadata
from orchestration.contract import TABLES
from orchestration.resources import WarehouseResource

# the engines a raw table lives on, for the UI's kind tags: always the DuckDB file the
# load is checked in, and the target it is published to (read when the code location
# loads, as the resources are)
_KINDS = {"duckdb", settings.dbt_target().strip().lower() or "duckdb"}

__all__ = ["REJECTED_ROWS_KEY", "RAW_SPECS", "raw_key", "raw_tables"]


def _column_schema(table) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(c.name, c.type, description=c.description or None) for c in table.columns
        ]
    )


RAW_SPECS = [
    dg.AssetSpec(
        raw_key(t.name),
        description=f"{t.grain} Loaded from <data_dir>/{t.name}.csv|.parquet or {t.name}/.",
        group_name="raw",
        kinds=_KINDS,
        metadata={"dagster/column_schema": _column_schema(t), "key": ", ".join(t.key)},
        skippable=True,
    )
    for t in TABLES.values()
] + [
    dg.AssetSpec(
        REJECTED_ROWS_KEY,
        description="One row per raw row that broke the input contract, with its source "
        "file, row number, reason and the original row as JSON.",
        group_name="raw",
        kinds=_KINDS,
        skippable=True,
    )
]


@dg.multi_asset(specs=RAW_SPECS, can_subset=True, name="raw_load")
def raw_tables(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    from orchestration.loader import LoaderError, load_directory
    from orchestration.warehouse import WarehouseError

    selected = [key.path[-1] for key in context.selected_asset_keys if key.path[-1] in TABLES]
    try:
        summary = load_directory(
            warehouse.source_dir, db_path=warehouse.db, tables=selected, target=warehouse.target
        )
    except (FileNotFoundError, LoaderError) as exc:  # no folder, a broken header: say so
        raise dg.Failure(description=str(exc)) from None
    except WarehouseError as exc:  # the target cannot be reached (PostgreSQL down, no pyspark)
        raise dg.Failure(description=f"{exc.message}; {exc.hint}") from None
    if selected and not summary.tables:
        raise dg.Failure(
            description=f"no raw files under {warehouse.source_dir} for any of the "
            f"{len(selected)} selected tables: write sample data there with `chorus generate "
            "--out DIR`, or point CHORUS_DATA_DIR (or `chorus dagster-run --from`) at your "
            "exports"
        )
    if not summary.reconciles():
        raise dg.Failure("load does not reconcile: read != loaded + rejected")
    for table in selected:
        result = summary.tables.get(table)
        if result is None:
            context.log.warning(f"no files for raw.{table} under {warehouse.source_dir}")
            continue
        yield dg.MaterializeResult(
            asset_key=raw_key(table), metadata={**result.metadata(), **_published(summary, table)}
        )
    if REJECTED_ROWS_KEY in context.selected_asset_keys:
        yield dg.MaterializeResult(
            asset_key=REJECTED_ROWS_KEY, metadata=rejected_rows_metadata(summary)
        )


def _published(summary, table: str) -> dict[str, str | int]:
    """Where the table now lives: the target, and on postgres and spark what the publish
    step copied there (rows) or that the target was already up to date."""
    published = summary.published
    if published is None:
        return {"target": "duckdb"}
    data: dict[str, str | int] = {"target": published.target}
    if table in published.copied:
        data["published_rows"] = published.copied[table]
    else:
        data["published"] = "already up to date"
    return data
