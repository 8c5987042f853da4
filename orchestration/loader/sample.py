"""Which generated sample business a warehouse holds.

`chorus generate` writes its parameters (customers, days, seed, end) to
`_truth/generation.json` beside the raw files. The first load of a generated sample
records them in `raw.sample_generation`; a later load of a sample generated with other
parameters is refused. Two generations are two different businesses whose ids overlap
(message ids, CRM contact ids, order ids restart in each), so loading the second on top
of the first would mix their histories under the same ids, and the build would fail on
rows no real source sends (a message delivered two months after it bounced). A load of
an export without the file (a real business) is not checked.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from orchestration.loader.errors import LoaderError

GENERATION_FILE = Path("_truth") / "generation.json"
TABLE = "raw.sample_generation"


class SampleMismatchError(LoaderError):
    """The folder holds a sample business other than the one the warehouse holds."""

    # what to do, with the warehouse's file for {warehouse}
    hint = (
        "load it into a new warehouse: remove {warehouse} (or point CHORUS_DUCKDB_PATH at"
        " a new file) and run again; or generate with the warehouse's parameters"
    )


def read_generation(source_dir: Path) -> dict | None:
    """The parameters of the generated sample in `source_dir`, or None for an export."""
    path = Path(source_dir) / GENERATION_FILE
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def check_sample(con, source_dir: Path, wanted: dict, load_id: str) -> None:
    """Record `wanted`, the parameters of the generated sample in `source_dir`, at the
    warehouse's first load of a generated sample (under the load's id, so the other
    engines get the record with the loader's bookkeeping); raise SampleMismatchError
    when the warehouse holds another. Runs inside the caller's transaction on the open
    DuckDB connection, before any row is loaded."""
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
        " load_id VARCHAR NOT NULL,"  # the load that recorded it
        " parameters VARCHAR NOT NULL,"  # JSON object: customers, days, seed, end
        " recorded_at TIMESTAMP NOT NULL)"
    )
    row = con.execute(f"SELECT parameters FROM {TABLE} ORDER BY recorded_at LIMIT 1").fetchone()
    if row is None:
        con.execute(
            f"INSERT INTO {TABLE} VALUES (?, ?, ?)",
            [load_id, json.dumps(wanted, sort_keys=True), datetime.now(UTC).replace(tzinfo=None)],
        )
        return
    held = json.loads(row[0])
    if held != wanted:
        changed = sorted(
            key for key in held.keys() | wanted.keys() if held.get(key) != wanted.get(key)
        )
        raise SampleMismatchError(
            f"{source_dir} holds a sample business generated with "
            + ", ".join(f"{key}={wanted.get(key)}" for key in changed)
            + "; the warehouse holds one generated with "
            + ", ".join(f"{key}={held.get(key)}" for key in changed)
            + ": two different businesses whose ids overlap, so loading it would mix"
            " their histories"
        )
