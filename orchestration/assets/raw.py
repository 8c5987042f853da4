"""One asset per raw table (schema raw), materialized by the loader from the data folder.

A single subsettable multi-asset: selecting three tables loads only those three files,
and each table reports its own read/loaded/rejected counts."""

import dagster as dg

from orchestration.assets.keys import REJECTED_ROWS_KEY, raw_key, rejected_rows_metadata
from orchestration.contract import TABLES
from orchestration.resources import WarehouseResource

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
        kinds={"duckdb"},
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
        kinds={"duckdb"},
        skippable=True,
    )
]


@dg.multi_asset(specs=RAW_SPECS, can_subset=True, name="raw_load")
def raw_tables(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    from orchestration.loader import LoaderError, load_directory

    selected = [key.path[-1] for key in context.selected_asset_keys if key.path[-1] in TABLES]
    try:
        summary = load_directory(warehouse.source_dir, db_path=warehouse.db, tables=selected)
    except (FileNotFoundError, LoaderError) as exc:  # no folder, a broken header: say so
        raise dg.Failure(description=str(exc)) from None
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
        yield dg.MaterializeResult(asset_key=raw_key(table), metadata=result.metadata())
    if REJECTED_ROWS_KEY in context.selected_asset_keys:
        yield dg.MaterializeResult(
            asset_key=REJECTED_ROWS_KEY, metadata=rejected_rows_metadata(summary)
        )
