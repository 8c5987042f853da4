"""`chorus run --generate` end to end on PostgreSQL (make test) and Spark (make test-spark),
through the real console script, then the readers on the same target: `chorus sql` in
the target's SQL and `chorus identity-report`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def chorus(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    environment = {**os.environ, "CHORUS_DAGSTER_RECORD": "0", "COLUMNS": "200", **env}
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=1200,
    )


def _ok(result: subprocess.CompletedProcess) -> str:
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "Traceback" not in output, output[-4000:]
    return output


def _run_on(target: str, tmp_path: Path, env: dict[str, str]) -> None:
    env = {
        **env,
        "CHORUS_DUCKDB_PATH": str(tmp_path / "check.duckdb"),
        "CHORUS_DATA_DIR": str(tmp_path / "data"),
    }
    output = _ok(
        chorus(
            "run", "--target", target, "--generate", "--customers", "300", "--days", "14", env=env
        )
    )
    assert f"public marts on {target}" in output
    assert re.search(r"marts\.customers\s+│\s+[1-9][\d,]*", output), output[-3000:]
    assert "raw schema on " + target in output

    counted = chorus(
        "sql",
        "--target",
        target,
        "--format",
        "csv",
        "select count(*) as n from marts.customers",
        env=env,
    )
    _ok(counted)
    # the CSV is stdout alone: Spark's JVM logs its start-up warnings to stderr
    n = int(counted.stdout.strip().splitlines()[-1])
    assert n > 0

    report = _ok(chorus("identity-report", "--target", target, env=env))
    assert f"customers: {n:,}" in report


def test_run_generate_end_to_end_on_postgres(tmp_path, postgres_server):
    _run_on("postgres", tmp_path, postgres_server.env())


@pytest.mark.spark_full
def test_run_generate_end_to_end_on_spark(tmp_path, spark_dir):
    # its own Spark folder: the console script is another process, and the local Derby
    # metastore admits one process at a time
    _run_on("spark", tmp_path, {"CHORUS_SPARK_DIR": str(tmp_path / "spark")})
