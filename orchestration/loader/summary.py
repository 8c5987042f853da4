"""What a load did, per table and in total: the counts the CLI prints, Dagster attaches as
metadata and raw.load_log stores."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from orchestration.loader.publish import PublishResult

# Column names of `as_row()` / `LoadSummary.as_rows()` tuples.
ROW_COLUMNS = ("table", "read", "inserted", "updated", "unchanged", "rejected", "seconds")


# Rejected rows kept per reason in TableLoadResult.reject_samples (what the CLI shows).
SAMPLES_PER_REASON = 3


@dataclass
class RejectSample:
    """One rejected row as raw.rejected_rows holds it. `row` is the original row and may
    hold personal data: show it only masked (commands/load_report.py does)."""

    reason: str
    source_file: str  # relative to the source dir
    source_path: str  # as given to the loader
    row_number: int  # 1-based data row, header excluded
    line_number: int | None  # the line an editor shows (header = 1); None for Parquet
    detail: str = field(repr=False)
    row: dict[str, object] = field(repr=False)


@dataclass
class TableLoadResult:
    """Counts for one raw table in one load. Every row read is exactly one of inserted,
    updated, unchanged or rejected (see `reconciles`)."""

    table: str
    files: list[str] = field(default_factory=list)  # paths relative to the source dir
    source_paths: list[str] = field(default_factory=list)  # the same files, as given
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejects_by_reason: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    load_id: str = ""
    # rejected rows this load wrote to raw.rejected_rows: fewer than `rejected` when a
    # reload re-rejects rows an earlier load already recorded (they are not stored twice)
    rejects_recorded: int = 0
    # the loads under which this load's rejects are stored in raw.rejected_rows (this one
    # for new rejects, earlier ones for rows they already recorded)
    reject_load_ids: list[str] = field(default_factory=list)
    reject_samples: list[RejectSample] = field(default_factory=list)  # a few per reason

    @property
    def skipped(self) -> bool:
        """True when the source dir held no file for this table (nothing was loaded; the
        raw table is only created, empty, if it did not exist)."""
        return not self.files

    def reconciles(self) -> bool:
        return (
            self.read == self.inserted + self.updated + self.unchanged + self.rejected
            and self.rejected == sum(self.rejects_by_reason.values())
        )

    @property
    def loaded(self) -> int:
        """Rows read that are in the raw table after this load (new, replaced or kept)."""
        return self.inserted + self.updated + self.unchanged

    def outcome(self) -> str:
        """What the load did, in words: '12 new, 3 changed, 870 unchanged, 5 rejected', or
        'nothing new: 885 unchanged, 5 rejected' on a rerun."""
        if self.inserted + self.updated:
            done = f"{self.inserted:,} new, {self.updated:,} changed, "
        else:
            done = "nothing new: "
        rejected = f"{self.rejected:,} rejected"
        if self.rejected and self.rejects_recorded == 0:
            rejected += " (already recorded)"
        elif self.rejects_recorded < self.rejected:
            rejected += f" ({self.rejects_recorded:,} newly recorded)"
        return f"{done}{self.unchanged:,} unchanged, {rejected}"

    def metadata(self) -> dict[str, str | int | float]:
        """Flat counts for a Dagster MaterializeResult (or any key/value log)."""
        return {
            "files": len(self.files),
            "read": self.read,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            **{f"rejected.{reason}": n for reason, n in self.rejects_by_reason.items()},
            "seconds": round(self.seconds, 3),
            "load_id": self.load_id,
        }

    def as_row(self) -> tuple[str, int, int, int, int, int, float]:
        """Values in ROW_COLUMNS order; a skipped table says so in its name."""
        name = f"{self.table} (no files)" if self.skipped and self.table != "total" else self.table
        return (
            name,
            self.read,
            self.inserted,
            self.updated,
            self.unchanged,
            self.rejected,
            round(self.seconds, 2),
        )


@dataclass
class LoadSummary:
    """The result of `load_directory`: one TableLoadResult per selected table in load
    order (`results`, skipped tables included); `tables` holds the loaded ones by name."""

    load_id: str
    source_dir: Path
    results: list[TableLoadResult] = field(default_factory=list)
    seconds: float = 0.0
    # on the postgres and spark targets: which raw tables were copied there (publish.py)
    published: PublishResult | None = None

    @property
    def tables(self) -> dict[str, TableLoadResult]:
        """Loaded tables by name (a table without files is absent: see `skipped`)."""
        return {r.table: r for r in self.results if not r.skipped}

    def __getitem__(self, table: str) -> TableLoadResult:
        return self.tables[table]

    @property
    def skipped(self) -> list[str]:
        """Selected tables that had no file in the source dir."""
        return [r.table for r in self.results if r.skipped]

    @property
    def total(self) -> TableLoadResult:
        total = TableLoadResult("total", load_id=self.load_id, seconds=self.seconds)
        for t in self.results:
            total.files.extend(t.files)
            total.source_paths.extend(t.source_paths)
            total.read += t.read
            total.inserted += t.inserted
            total.updated += t.updated
            total.unchanged += t.unchanged
            total.rejected += t.rejected
            total.rejects_recorded += t.rejects_recorded
            for reason, n in t.rejects_by_reason.items():
                total.rejects_by_reason[reason] = total.rejects_by_reason.get(reason, 0) + n
        return total

    def outcome(self) -> str:
        """The whole load in words (see TableLoadResult.outcome)."""
        return self.total.outcome()

    @property
    def total_loaded(self) -> int:
        return self.total.loaded

    @property
    def total_rejected(self) -> int:
        return self.total.rejected

    @property
    def rows_per_second(self) -> float:
        return self.total.read / self.seconds if self.seconds else 0.0

    def rejects_by_reason(self) -> dict[tuple[str, str], int]:
        """Rejected rows of this load per (table, reason)."""
        return {
            (r.table, reason): n for r in self.results for reason, n in r.rejects_by_reason.items()
        }

    def reconciles(self) -> bool:
        return all(t.reconciles() for t in self.results) and self.total.reconciles()

    def as_rows(self) -> list[tuple[str, int, int, int, int, int, float]]:
        """For printing: one tuple per selected table in load order (a table without
        files shows as '<table> (no files)') plus a final 'total', in ROW_COLUMNS order.
        Rejects per reason: `rejects_by_reason()`."""
        return [*(t.as_row() for t in self.results), self.total.as_row()]
