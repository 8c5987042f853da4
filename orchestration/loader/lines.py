"""Where a CSV row is in its file as an editor counts lines (header = line 1).

DuckDB numbers records, not lines: a quoted value holding a line break keeps its record
on one "line", and a blank line (which it skips) still counts as one. For most exports
every record is one line, so line = row + 1; this module checks that cheaply (counting
line breaks in the file) and, only for a file where it does not hold, maps rows to lines
with Python's csv reader, which splits records the way the loader's pinned RFC 4180
dialect does. It runs only for files that have rejected rows."""

from __future__ import annotations

import bisect
import csv
import gzip
import io
from array import array
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 20


def _open(path: Path):
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")


def physical_lines(path: Path) -> int:
    """Lines an editor shows (a last line without a line break counts)."""
    lines, last = 0, b"\n"
    with _open(path) as f:
        while chunk := f.read(CHUNK):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (last != b"\n")


@dataclass
class CsvLines:
    """Row -> line for one CSV file. `regular`: every record is one line, no blank lines
    (line = row + 1). Otherwise, per data row, its first line and DuckDB's record number
    (the `line` of DuckDB's rejects table, which counts blank lines but not the line
    breaks inside quoted values)."""

    regular: bool
    starts: array | None = None  # starts[row - 1]: the row's first line
    records: array | None = None  # records[row - 1]: DuckDB's line for the row

    def line(self, row: int) -> int | None:
        if self.regular:
            return row + 1
        assert self.starts is not None
        return self.starts[row - 1] if 0 < row <= len(self.starts) else None

    def malformed(self, duckdb_line: int) -> tuple[int, int] | None:
        """(row, line) of the record DuckDB reported at `duckdb_line`."""
        if self.regular:
            return duckdb_line - 1, duckdb_line
        assert self.starts is not None and self.records is not None
        i = bisect.bisect_left(self.records, duckdb_line)
        if i < len(self.records) and self.records[i] == duckdb_line:
            return i + 1, self.starts[i]
        return None


def csv_lines(path: Path, records: int) -> CsvLines | None:
    """The row -> line map of a CSV file DuckDB read as `records` data records (valid
    and malformed); None when Python's reading of the file disagrees with DuckDB's (the
    line is then unknown rather than guessed)."""
    if physical_lines(path) == records + 1:
        return CsvLines(regular=True)
    starts, numbers = array("q"), array("q")
    with _open(path) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")
        reader = csv.reader(text)
        try:
            before = 0
            for number, record in enumerate(reader, 1):
                if record and number > 1:  # a blank record is a skipped line; 1 = header
                    starts.append(before + 1)
                    numbers.append(number)
                before = reader.line_num
        except csv.Error:  # e.g. an unterminated quote running past the field size limit
            return None
    if len(starts) != records:
        return None
    return CsvLines(regular=False, starts=starts, records=numbers)
