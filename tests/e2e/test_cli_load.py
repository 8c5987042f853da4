"""`chorus load` and `chorus validate` as a user runs them: the real console script in a
subprocess (CliRunner would swallow a traceback), a real DuckDB file, hand-written CSVs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.fixtures.contract_rows import order, write_csv

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def chorus(tmp_path):
    db = tmp_path / "warehouse.duckdb"

    def run(*args: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "CHORUS_DUCKDB_PATH": str(db), "COLUMNS": "200"}
        return subprocess.run(
            [sys.executable, "-m", "orchestration.cli", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    run.db = db
    return run


def output(result: subprocess.CompletedProcess) -> str:
    return result.stdout + result.stderr


@pytest.fixture
def exports(tmp_path) -> Path:
    folder = tmp_path / "exports"
    write_csv(folder, "orders", [order("o1", "2026-10-01T10:00:00Z", email="ann@example.com")])
    write_csv(folder, "products", [{"product_id": "p1", "category": "shoes", "price": "10"}])
    write_csv(
        folder,
        "web_events",
        [{"event_id": "e1", "event_type": "page_view", "occurred_at": "2026-10-01T10:00:00Z"}],
    )
    return folder


@pytest.mark.parametrize("command", ["load", "validate"])
def test_an_unknown_table_is_one_error_with_a_suggestion(chorus, exports, command):
    args = [command, "--table", "order"] + (["--from", str(exports)] if command == "load" else [])
    result = chorus(*args)
    text = output(result)
    assert result.returncode == 2, text
    assert "Traceback" not in text
    assert "unknown raw table 'order' (did you mean 'orders'?)" in text
    assert "consent_events" in text and "what to do" in text


def test_a_comma_list_loads_both_tables_and_prints_only_them(chorus, exports):
    result = chorus("load", "--from", str(exports), "--table", "orders, products")
    text = output(result)
    assert result.returncode == 0, text
    assert "Traceback" not in text
    con = duckdb.connect(str(chorus.db), read_only=True)
    loaded = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw' "
        "AND table_name NOT IN ('rejected_rows', 'load_log') ORDER BY 1"
    ).fetchall()
    con.close()
    assert loaded == [("orders",), ("products",)]
    assert "web_events" not in text and "no files" not in text


def test_one_table_prints_only_that_table(chorus, exports):
    text = output(chorus("load", "--from", str(exports), "--table", "orders"))
    assert "│ orders" in text
    assert "products" not in text and "web_events" not in text and "no files" not in text


def test_a_full_load_names_the_tables_without_files_in_one_line(chorus, exports):
    text = output(chorus("load", "--from", str(exports)))
    assert "(no files)" not in text
    assert "no files for: crm_contacts, app_events, order_items, email_events" in text
    assert "│ web_events" in text


def test_rejected_rows_are_shown_masked_with_the_query_for_all(chorus, tmp_path):
    folder = tmp_path / "exports"
    write_csv(
        folder,
        "orders",
        [
            order("o1", "2026-10-01T10:00:00Z", email="ann@example.com"),
            {
                **order("o2", "2026-10-01T11:00:00Z"),
                "status": "lost",
                "email": "jane.doe@example.com",
                "phone": "+1 555 123 4567",
                "user_id": "usr_0123456789",
            },
        ],
    )
    result = chorus("load", "--from", "exports")
    text = output(result)
    assert result.returncode == 0, text
    assert "jane.doe@example.com" not in text and "+1 555 123 4567" not in text
    assert "usr_0123456789" not in text
    assert "ja***@example.com" in text
    assert "exports/orders.csv row 2, line 3: column status: 'lost' is not one of" in text
    con = duckdb.connect(str(chorus.db), read_only=True)
    (load_id,) = con.execute("SELECT DISTINCT load_id FROM raw.rejected_rows").fetchone()
    con.close()
    assert (
        f"chorus sql \"select * from raw.rejected_rows where load_id = '{load_id}' "
        "and table_name = 'orders'\"" in text
    )


def test_a_rerun_says_nothing_new(chorus, exports):
    first = output(chorus("load", "--from", str(exports)))
    assert "this load: 3 new, 0 changed, 0 unchanged, 0 rejected" in first
    second = output(chorus("load", "--from", str(exports)))
    assert "this load: nothing new: 3 unchanged, 0 rejected" in second


def test_a_sample_generated_otherwise_is_refused(chorus, tiny_data, tmp_path, exports):
    """Two generations are two businesses whose ids overlap: the warehouse keeps the first
    and refuses the second with what to do, before loading a row of it."""
    from orchestration.sample_data import generate
    from tests.conftest import TINY

    assert chorus("load", "--from", str(tiny_data)).returncode == 0
    other = tmp_path / "other"
    generate(other, **(TINY | {"days": TINY["days"] + 7}))
    con = duckdb.connect(str(chorus.db), read_only=True)
    before = con.execute("select count(*) from raw.email_events").fetchone()[0]
    con.close()

    refused = chorus("load", "--from", str(other))
    text = output(refused)
    assert refused.returncode == 2, text
    assert "Traceback" not in text
    assert f"generated with days={TINY['days'] + 7}" in text
    assert f"the warehouse holds one generated with days={TINY['days']}" in text
    assert "new warehouse" in text  # what to do
    con = duckdb.connect(str(chorus.db), read_only=True)
    assert con.execute("select count(*) from raw.email_events").fetchone()[0] == before
    con.close()

    # the same sample again, and an export that is no generated sample, still load
    assert chorus("load", "--from", str(tiny_data)).returncode == 0
    assert chorus("load", "--from", str(exports)).returncode == 0
