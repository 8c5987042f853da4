"""One benchmark at a time: every `make bench*` holds a lock on its BENCH_DIR.

Two benchmarks on one machine share its cores and skew each other's figures, and two
runs of `make bench` rewrite the same sample data under each other's feet. The lock is
an advisory `flock` on BENCH_DIR/.bench.lock: the kernel releases it when its process
ends, however it ends, so a killed run leaves nothing stale behind. A second run stops
at once and says which run holds the directory.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class BenchBusy(SystemExit):
    """Another benchmark holds BENCH_DIR. A SystemExit with a message: Python prints it
    and the make target stops with status 1, without a traceback."""


def bench_dir() -> Path:
    """BENCH_DIR: where the benchmarks keep their data and warehouses (default
    bench_data/ in the repository)."""
    return Path(os.environ.get("BENCH_DIR", ROOT / "bench_data"))


@contextmanager
def exclusive(command: str, base: Path | None = None) -> Iterator[None]:
    """Hold BENCH_DIR (or `base`) for `command` until the block ends; BenchBusy if
    another benchmark holds it."""
    base = base or bench_dir()
    base.mkdir(parents=True, exist_ok=True)
    path = base / ".bench.lock"
    handle = path.open("a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise BenchBusy(
                f"{base} is in use by {holder}. Wait for it to finish (two benchmarks "
                "would share this machine's cores and skew each other's figures), or "
                "set BENCH_DIR to another directory."
            ) from None
        handle.seek(0)
        handle.truncate()
        started = datetime.now(UTC).isoformat(timespec="seconds")
        handle.write(f"`{command}` (pid {os.getpid()}, started {started})\n")
        handle.flush()
        yield
    finally:
        handle.close()  # closing the file releases the lock
