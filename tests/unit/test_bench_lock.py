"""One benchmark at a time (bench/lock.py): a second run on the same BENCH_DIR stops at
once with a message naming the run that holds it, and the directory is free again
when that run ends."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.lock import BenchBusy, exclusive

ROOT = Path(__file__).resolve().parents[2]


def test_a_second_benchmark_on_the_same_directory_stops(tmp_path):
    with exclusive("make bench", tmp_path):
        with pytest.raises(BenchBusy) as busy, exclusive("make bench-decisioning", tmp_path):
            pytest.fail("two benchmarks held one BENCH_DIR")
        message = str(busy.value)
        assert "`make bench`" in message and f"pid {os.getpid()}" in message
        assert "BENCH_DIR" in message
    # released when the first run ends
    with exclusive("make bench-decisioning", tmp_path):
        pass


def test_another_directory_is_not_held(tmp_path):
    with exclusive("make bench", tmp_path / "a"), exclusive("make bench", tmp_path / "b"):
        pass


def test_make_bench_refuses_a_held_directory(tmp_path):
    """The real entry point (`python -m bench.run`, what `make bench` runs) exits with
    status 1 and the message, no traceback, and writes no sample data."""
    with exclusive("make bench", tmp_path):
        run = subprocess.run(
            [sys.executable, "-m", "bench.run"],
            cwd=ROOT,
            env={**os.environ, "BENCH_DIR": str(tmp_path), "BENCH_SIZES": "1000"},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert run.returncode == 1
    assert "is in use by `make bench`" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "1000").exists()
