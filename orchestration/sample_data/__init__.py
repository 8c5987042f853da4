"""Sample-data generator: a believable omnichannel business (persons with messy,
partly shared identifiers; browsing, campaigns on five channels, purchases caused by
known channel effects, fatigue, opt-outs, complaints, support) written as the raw
tables of the input contract, plus the seeds and the ground truth to validate against.

    generate(Path("data/sample"), customers=20_000, days=120, seed=42)

Same seed and arguments => byte-identical files. _truth/README.md in the output says
what the ground truth contains; model.py holds the behavioural model's parameters.
"""

from __future__ import annotations

import queue
import shutil
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from orchestration import settings
from orchestration.contract import TABLES
from orchestration.sample_data import (
    commerce,
    crm,
    funnels,
    messaging,
    rejects,
    sessions,
    tables,
    truth,
)
from orchestration.sample_data._core import Frame, Streams, Window, perm_bits
from orchestration.sample_data.catalog import DEFAULT_END, product_catalog, write_seeds
from orchestration.sample_data.people import build_population
from orchestration.sample_data.render import Renderer, scramble

__all__ = ["DEFAULT_END", "generate", "write_seeds"]

PHASES = ("persons", "sessions", "messaging", "funnels", "commerce", "truth", "write")


def generate(
    out: Path,
    customers: int = 20_000,
    days: int = settings.SAMPLE_DAYS,
    seed: int = 42,
    fmt: str = "parquet",
    end: datetime = DEFAULT_END,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict:
    """Write every contract table to out/<table>.<fmt>, the seeds and out/_truth/.

    Returns {"rows": {table: rows}, "bad_rows": {table: rows}, "seconds": {phase: s}}
    (rows include the bad ones). Events fall in [end - days, end).
    """
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"fmt must be 'parquet' or 'csv', not {fmt!r}")
    if customers < 1 or days < 1:
        raise ValueError("customers and days must be positive")
    end = end.replace(tzinfo=UTC) if end.tzinfo is None else end.astimezone(UTC)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    truth_dir = out / "_truth"
    if truth_dir.exists():
        shutil.rmtree(truth_dir)
    truth_dir.mkdir()
    for table in TABLES:  # a previous run in the other format must not linger
        for ext in ("parquet", "csv"):
            (out / f"{table}.{ext}").unlink(missing_ok=True)
    run = _Run(progress)
    try:
        stats = run.execute(out, customers, days, seed, fmt, end)
    except BaseException:
        run.abort()  # never leave a thread inside DuckDB: the interpreter would abort
        raise
    return stats | {"seconds": run.seconds}


class _Run:
    """One generation: the phases in order, the two helper threads, the timings."""

    def __init__(self, progress: Callable[[str, int, int], None] | None) -> None:
        self.progress = progress
        self.seconds: dict[str, float] = {}
        self._clock = time.perf_counter()
        self.dims: _Background | None = None
        self.writer: _Writer | None = None

    def done(self, phase: str) -> None:
        now = time.perf_counter()
        self.seconds[phase] = round(now - self._clock, 3)
        self._clock = now
        if self.progress:
            self.progress(phase, PHASES.index(phase) + 1, len(PHASES))

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.abort()
        if self.dims is not None:
            self.dims.wait()

    def execute(
        self, out: Path, customers: int, days: int, seed: int, fmt: str, end: datetime
    ) -> dict:
        if self.progress:
            self.progress("persons", 0, len(PHASES))
        streams = Streams(seed)
        window = Window.build(end, days)
        catalog = product_catalog()
        pop = build_population(customers, window, streams)
        # DuckDB builds the string dimensions on its own threads while numpy simulates
        self.dims = _Background(lambda: Renderer(pop, catalog, streams, settings.threads()))
        self.done("persons")
        organic = sessions.organic(pop, catalog, window, streams)
        self.done("sessions")
        msg = messaging.run(pop, catalog, organic, window, streams)
        self.done("messaging")
        fun = funnels.run(pop, msg, window, streams, len(catalog.product_id))
        consent = crm.consent_events(pop, fun, window, streams)
        crm_rows = crm.crm_records(pop, window, streams)
        frames = tables.assemble_events(
            pop, catalog, window, streams, organic, fun, crm_rows, consent
        )
        self.done("funnels")

        # From here the raw tables are written by a background thread (DuckDB COPY on its
        # own threads, GIL released) as soon as they are final, while numpy goes on here
        # with commerce and the ground truth, from the same good frames.
        self.writer = _Writer(self.dims, out, fmt, streams)
        for table, frame in frames.items():
            self.writer.put(table, frame)
        orders = commerce.order_rows(pop, msg.orders, window, streams)
        items = commerce.order_items(catalog, orders, streams)
        tickets = commerce.tickets(pop, orders, window, streams)
        support = commerce.support_chats(pop, orders, window, streams, first_id=len(msg.sends))
        late = tables.assemble_commerce(pop, window, streams, fun, orders, items, tickets, support)
        for table, frame in late.items():
            self.writer.put(table, frame)
        frames |= late
        del organic, fun, support, crm_rows, consent, tickets, items, late
        self.done("commerce")

        renderer: Renderer = self.dims.result()
        truth_dir = out / "_truth"
        truth.identifiers(pop, frames, renderer, truth_dir / "identifiers.parquet")
        # the rest of the truth needs three tables; the writer holds its own references
        frames = {t: frames[t] for t in ("crm_contacts", "orders", "support_tickets")}
        pq.write_table(truth.persons(pop), truth_dir / "persons.parquet")
        pq.write_table(truth.changes(pop, window, renderer), truth_dir / "identity_changes.parquet")
        truth.messages(msg, frames, streams, renderer, truth_dir / "messages.parquet")
        truth.records(frames, msg, streams, renderer, truth_dir / "records.parquet")
        truth.write_json(
            truth_dir / "channel_effects.json", truth.channel_effects(msg, window, pop.n)
        )
        truth.write_json(truth_dir / "fatigue.json", truth.fatigue(msg))
        (truth_dir / "README.md").write_text(truth.README, encoding="utf-8")
        del msg
        self.done("truth")

        stats = self.writer.close()
        write_seeds(out, end)
        # what a warehouse records at its first load of this sample (loader/sample.py)
        truth.write_json(
            truth_dir / "generation.json",
            {"customers": customers, "days": days, "seed": seed, "end": end.isoformat()},
        )
        truth.write_json(truth_dir / "expected_rejects.json", stats.pop("expected"))
        self.done("write")
        return stats


class _Background:
    """Run fn in a thread now; result() joins and re-raises its exception."""

    def __init__(self, fn: Callable[[], object]) -> None:
        self._value: object = None
        self._error: BaseException | None = None

        def run() -> None:
            try:
                self._value = fn()
            except BaseException as exc:  # handed to whoever calls result()
                self._error = exc

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def wait(self) -> None:
        self._thread.join()

    def result(self):
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


class _Writer:
    """A thread that adds the bad rows to each table and writes it, in the order the
    tables are handed over; close() waits and returns the stats in contract order."""

    def __init__(self, dims: _Background, out: Path, fmt: str, streams: Streams) -> None:
        self._queue: queue.Queue[tuple[str, Frame] | None] = queue.Queue()
        self._stats: dict[str, dict] = {"rows": {}, "bad_rows": {}, "expected": {}}
        self._stop = False

        def run() -> None:
            renderer: Renderer = dims.result()
            con = renderer.con.cursor()
            try:
                while (item := self._queue.get()) is not None and not self._stop:
                    self._write(renderer, con, *item, out, fmt, streams)
            finally:
                con.close()

        self._thread = _Background(run)

    def _write(
        self,
        renderer: Renderer,
        con,
        table: str,
        frame: Frame,
        out: Path,
        fmt: str,
        streams: Streams,
    ) -> None:
        frame = Frame(frame)  # a shallow copy: the truth reads the original meanwhile
        bad, counts = rejects.inject(
            table, frame, streams(f"rejects:{table}"), _new_key(table, len(frame), streams)
        )
        rows = renderer.write(table, [frame, bad], out, fmt, con=con)
        if fmt == "csv":
            counts["malformed_row"] = rejects.append_malformed_lines(out / f"{table}.csv", table)
            rows += counts["malformed_row"]
        self._stats["rows"][table] = rows
        self._stats["bad_rows"][table] = sum(counts.values())
        self._stats["expected"][table] = counts

    def put(self, table: str, frame: Frame) -> None:
        self._queue.put((table, frame))

    def close(self) -> dict[str, dict]:
        self._queue.put(None)
        self._thread.result()
        return {key: {t: values[t] for t in TABLES} for key, values in self._stats.items()}

    def abort(self) -> None:
        self._stop = True
        self._queue.put(None)
        self._thread.wait()


def _new_key(table: str, n_good: int, streams: Streams) -> Callable[[Frame, int], None]:
    """Fresh, unused keys for bad rows that must not collide with a good row's key."""
    counter = [n_good]

    def fresh(rows: Frame, k: int) -> None:
        ids = np.arange(counter[0], counter[0] + k, dtype=np.int64)
        counter[0] += k
        if table == "crm_contacts":
            column, values = "kid", perm_bits(ids, 48, streams.key("contact_id"))
        elif table == "orders":
            column, values = "order_no", 100_001 + ids
        elif table == "order_items":
            column, values = "line", 100 + ids - n_good
        elif table == "products":
            column, values = "alt_id", ids
        elif table == "support_tickets":
            column, values = "kid", ids
        else:
            column = "kid"
            values = scramble(ids, streams.key(f"kid:{tables.KID_STREAMS[table]}"))
        rows[column] = values.astype(rows[column].dtype)  # good and bad rows: one schema

    return fresh
