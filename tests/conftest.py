"""Shared fixtures: a tiny generated business, loaded once per session into its own
DuckDB file, for tests that need realistic raw data without paying for it each time."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

# The CLI records its loads and builds in the Dagster instance ($DAGSTER_HOME, default
# .dagster_home/); tests must not fill a developer's instance. Tests of the recording turn
# it back on with a temporary DAGSTER_HOME (tests/integration/test_dagster.py).
os.environ["CHORUS_DAGSTER_RECORD"] = "0"

# `make test` runs the tests on two worker processes (pytest-xdist, one per core); dbt
# writes its manifest, partial parse and run results to one folder per worker, never to
# dbt_project/target, so two builds never write each other's artifacts. Dagster reads the
# manifest from the same place (orchestration/settings.py dbt_target_dir).
_DBT_ARTIFACTS = Path(
    tempfile.mkdtemp(prefix=f"chorus-dbt-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-")
)
os.environ["DBT_TARGET_PATH"] = str(_DBT_ARTIFACTS / "target")
os.environ["DBT_LOG_PATH"] = str(_DBT_ARTIFACTS / "logs")
atexit.register(shutil.rmtree, _DBT_ARTIFACTS, ignore_errors=True)

# pyspark (when the spark group is installed) takes a process whose __main__ has no file
# for its own doctest run and exits on import (pyspark/sql/connect/utils.py): an xdist
# worker is such a process, and Great Expectations imports pyspark when it is present
_main = sys.modules["__main__"]
if os.environ.get("PYTEST_XDIST_WORKER") and not hasattr(_main, "__file__"):
    _main.__file__ = "pytest-xdist-worker"

TINY = {"customers": 400, "days": 21, "seed": 7}


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory) -> Path:
    from orchestration.sample_data import generate

    out = tmp_path_factory.mktemp("tiny_data")
    generate(out, **TINY)
    return out


# ---------------------------------------------------------------------------------------
# engines: a throwaway PostgreSQL server and a local Spark session


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory):
    """A real PostgreSQL server for this test session: initdb in a temp dir, loopback, a
    free port (orchestration/engines/local_postgres.py installs the Debian package when
    the binaries are missing); stopped and removed afterwards."""
    from orchestration.engines import local_postgres

    folder = tmp_path_factory.mktemp("postgres")
    server = local_postgres.start(folder)
    yield server
    local_postgres.stop(folder, remove=True)


@pytest.fixture
def postgres_db(postgres_server, monkeypatch):
    """A fresh, empty database on the session's server, selected as the target for the
    test (CHORUS_DBT_TARGET=postgres and the CHORUS_PG_* variables); dropped afterwards."""
    import uuid

    from orchestration.engines import local_postgres

    name = f"t_{uuid.uuid4().hex[:12]}"
    env = postgres_server.env()
    admin = local_postgres.admin(postgres_server)
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    for key, value in {**env, "CHORUS_PG_DBNAME": name, "CHORUS_DBT_TARGET": "postgres"}.items():
        monkeypatch.setenv(key, value)
    yield name
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.close()


@pytest.fixture(scope="session")
def spark_dir(tmp_path_factory):
    """One local Spark session per test process (a JVM keeps its first conf): its tables,
    metastore and log in a temp dir. Skips when pyspark (the spark group) is absent."""
    pytest.importorskip("pyspark")
    folder = tmp_path_factory.mktemp("spark")
    os.environ["CHORUS_SPARK_DIR"] = str(folder)
    return folder


@pytest.fixture
def spark_target(spark_dir, monkeypatch):
    monkeypatch.setenv("CHORUS_SPARK_DIR", str(spark_dir))
    monkeypatch.setenv("CHORUS_DBT_TARGET", "spark")
    return spark_dir
