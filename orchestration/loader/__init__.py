"""The raw loader behind `chorus load --from DIR`: reads CSV/Parquet exports into schema
`raw` per orchestration.contract, rejects bad rows into raw.rejected_rows with a reason,
and reloads idempotently. See load.py for how a table is loaded."""

from orchestration.loader.errors import ContractError, LoaderError, ReconciliationError
from orchestration.loader.load import ensure_raw_schema, load_directory, load_table, new_load_id
from orchestration.loader.sample import SampleMismatchError
from orchestration.loader.summary import ROW_COLUMNS, LoadSummary, TableLoadResult

__all__ = [
    "ROW_COLUMNS",
    "ContractError",
    "LoadSummary",
    "LoaderError",
    "ReconciliationError",
    "SampleMismatchError",
    "TableLoadResult",
    "ensure_raw_schema",
    "load_directory",
    "load_table",
    "new_load_id",
]
