"""Opening the DuckDB warehouse the way each kind of command needs it, and the published
read-only snapshot that lets readers work beside a writer.

DuckDB allows one process to write a file and nobody else to open it meanwhile, not even
to read; read-only processes may share it with each other. So:

- writers (`load`, `build`, `run`, `identity-diff`) check first that nobody holds the file
  and otherwise fail with one line naming the holder (DuckDB reports its PID);
- after each successful write, the file is copied to `<name>.snapshot.duckdb` beside it
  (a copy taken under a shared lock, then renamed into place, so a reader never sees a
  half-written snapshot and an open reader keeps the old copy until it closes);
- readers (`sql`, `identity-report`, `identity-explain`) open the warehouse read-only and,
  while a writer holds it, the snapshot instead, saying so.

Every expected failure is a `WarehouseError`: a message and what to do, which the CLI
prints as one line (orchestration/commands/common.py).
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from orchestration import settings

# the schemas Chorus writes: a warehouse file named like one breaks name resolution
SCHEMAS = ("raw", "seeds", "staging", "intermediate", "marts", "main")

_LOCK = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")
_LOCKED_FILE = re.compile(r'Could not set lock on file "(?P<path>[^"]+)"')


class WarehouseError(Exception):
    """An expected failure around the warehouse file, with the fix."""

    def __init__(self, message: str, hint: str, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.code = code


@dataclass(frozen=True)
class LockHolder:
    pid: int
    program: str

    def describe(self) -> str:
        """'PID 123 (chorus build)': the holder's command line when this machine can see
        it (same host), shortened; never more than the program name otherwise."""
        command = _command_line(self.pid) or Path(self.program).name
        return f"PID {self.pid} ({command})"


def _command_line(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    parts = [p for p in raw.decode(errors="replace").split("\0") if p]
    if not parts:
        return ""
    # `python .../bin/chorus build` reads better as `chorus build`
    if len(parts) > 1 and Path(parts[0]).name.startswith("python"):
        parts = parts[1:]
    parts[0] = Path(parts[0]).name
    text = " ".join(" ".join(parts).split())
    return text if len(text) <= 60 else text[:57] + "..."


def lock_holder(error: BaseException | str) -> LockHolder | None:
    """The process holding the file, when `error` is DuckDB's lock conflict."""
    match = _LOCK.search(str(error))
    if not match:
        return None
    return LockHolder(int(match["pid"]), match["program"])


def is_lock_error(error: BaseException | str) -> bool:
    return _LOCKED_FILE.search(str(error)) is not None


def busy_from(error: BaseException | str, path: Path | None = None) -> WarehouseError:
    """The busy-warehouse error for DuckDB's lock conflict `error` (an exception, or text
    holding one, e.g. dbt's failures): the file it names, else `path`."""
    match = _LOCKED_FILE.search(str(error))
    target = Path(match["path"]) if match else resolve(path)
    return busy(target, lock_holder(error))


def busy(path: Path, holder: LockHolder | None, reading: bool = False) -> WarehouseError:
    who = holder.describe() if holder else "another process"
    if reading:
        hint = "wait for it to finish and run this again"
        if not snapshot_path(path).exists():
            hint += (
                " (there is no snapshot to read meanwhile yet: one is published after "
                "each successful `chorus load` and `chorus build`)"
            )
    else:
        hint = (
            "wait for it to finish, or close it (a notebook: con.close()): while one "
            "process writes a DuckDB file no other may open it, and while one reads none "
            "may write. To read beside a writer, use `chorus sql` or open "
            f"{snapshot_path(path).name} read-only"
        )
    return WarehouseError(f"the warehouse {path} is in use by {who}", hint)


def missing(path: Path) -> WarehouseError:
    return WarehouseError(
        f"there is no warehouse at {path}",
        "load data first: `chorus load --from DIR` (or `make demo` for sample data), "
        "or pass --db with an existing file",
    )


def resolve(path: Path | None) -> Path:
    return Path(path).expanduser().resolve() if path else settings.duckdb_path()


def check_writable(path: Path | None, must_exist: bool = True) -> Path:
    """Fail early, with the holder named, when another process holds the file; with
    must_exist, when the file is not there (never create an empty warehouse by accident)."""
    import duckdb

    target = resolve(path)
    if target.stem.lower() in SCHEMAS:
        raise WarehouseError(
            f"the warehouse file {target.name} is named like one of its schemas",
            "DuckDB names the database after the file, and a database called "
            f"{target.stem!r} hides the schema of that name from the models: rename the "
            "file (e.g. chorus.duckdb) or pass another --db",
            2,
        )
    if not target.exists():
        if must_exist:
            raise missing(target)
        return target
    try:
        duckdb.connect(str(target)).close()
    except duckdb.Error as exc:
        if is_lock_error(exc):
            raise busy_from(exc, target) from None
        raise
    return target


def check_readable(path: Path | None) -> Path:
    """The file exists and a read-only connection can open it (no writer holds it)."""
    con, _ = open_reader(path, snapshot=False)
    con.close()
    return resolve(path)


def snapshot_path(path: Path | None = None) -> Path:
    target = resolve(path)
    return target.with_name(f"{target.stem}.snapshot{target.suffix or '.duckdb'}")


@dataclass(frozen=True)
class Source:
    """Which file a reader opened: the warehouse itself, or its snapshot while a writer
    held the warehouse (then `note` says so)."""

    path: Path
    is_snapshot: bool = False
    note: str = ""


def open_reader(path: Path | None, snapshot: bool = True):
    """(connection, Source): the warehouse read-only, or its published snapshot while
    another process writes it (snapshot=True)."""
    import duckdb

    target = resolve(path)
    if not target.exists():
        raise missing(target)
    try:
        return settings.connect(target, read_only=True), Source(target)
    except duckdb.Error as exc:
        if not is_lock_error(exc):
            raise WarehouseError(
                f"{target} is not a DuckDB warehouse DuckDB can open: {first_line(exc)}",
                "pass --db with the warehouse file (default warehouse/chorus.duckdb)",
            ) from None
        holder = lock_holder(exc)
    copy = snapshot_path(target)
    if not snapshot or not copy.exists():
        raise busy(target, holder, reading=True)
    published = datetime.fromtimestamp(copy.stat().st_mtime, UTC)
    note = (
        f"{target.name} is being written by {holder.describe() if holder else 'a writer'}; "
        f"reading the snapshot published {published:%Y-%m-%d %H:%M:%S} UTC"
    )
    return settings.connect(copy, read_only=True), Source(copy, True, note)


def publish_snapshot(path: Path | None = None) -> Path | None:
    """Copy the warehouse to its snapshot, atomically. Returns None when turned off
    (CHORUS_SNAPSHOT=0) or when another process started writing in the meantime (the
    next successful write publishes)."""
    import duckdb

    if not settings.snapshot_enabled():
        return None
    target = resolve(path)
    copy = snapshot_path(target)
    try:
        # a shared lock: no writer can change the file while it is copied
        guard = duckdb.connect(str(target), read_only=True)
    except duckdb.Error as exc:
        if is_lock_error(exc):
            return None
        raise
    try:
        partial = copy.with_name(f".{copy.name}.{os.getpid()}.partial")
        shutil.copyfile(target, partial)
        wal, copy_wal = Path(f"{target}.wal"), Path(f"{copy}.wal")
        if wal.exists():  # a writer that did not checkpoint: the snapshot needs it too
            shutil.copyfile(wal, copy_wal)
        elif copy_wal.exists():  # an old snapshot's log must not replay onto the new one
            copy_wal.unlink()
        os.replace(partial, copy)
    finally:
        guard.close()
    return copy


def first_line(error: BaseException | str) -> str:
    """The first non-empty line of an error's text (the exception's type without one):
    what a one-line message quotes of DuckDB's or dbt's several-line errors."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if lines:
        return lines[0]
    return type(error).__name__ if isinstance(error, BaseException) else ""
