"""What `chorus load` and `chorus run` print about a load: the counts per table, what the
load did in words, the rejects per reason, and a few rejected rows per reason with the
query that lists them all. Values that point at a person are masked (orchestration.masking)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table

from orchestration.commands.common import console, plain
from orchestration.contract import REJECT_REASONS, TABLES
from orchestration.masking import looks_personal, mask, mask_emails

if TYPE_CHECKING:
    from orchestration.loader import LoadSummary
    from orchestration.loader.summary import RejectSample

# Sample lines printed in all (at most SAMPLES_PER_REASON per table and reason).
MAX_SAMPLE_LINES = 12
# Values beside a sample that help find the row (the key, then the person's identifiers).
CONTEXT_VALUES = 3
LONGEST_VALUE = 40


def _short(value: str) -> str:
    return value if len(value) <= LONGEST_VALUE else value[: LONGEST_VALUE - 3] + "..."


def _personal_values(table: str, row: dict[str, object]) -> dict[str, str]:
    """The row's values to mask, by column: every value of a pii column, and anything
    that looks like an email or a phone number wherever it was found."""
    contract = TABLES[table]
    pii = {c.name for c in contract.columns if c.pii}
    found: dict[str, str] = {}
    for name, value in row.items():
        if value is None or str(value).strip() == "":
            continue
        text = str(value)
        if name.strip().lower() in pii or looks_personal(text):
            found[name.strip().lower()] = text
    return found


def _context(sample: RejectSample, table: str, personal: dict[str, str]) -> str:
    """'order_id ORD-1, email al***@gmail.com': the key (unless the detail names it),
    then the person's identifiers."""
    contract = TABLES[table]
    values = {name.strip().lower(): value for name, value in sample.row.items()}
    key = [] if sample.reason == "duplicate_key" else list(contract.key)
    wanted = key + [c.name for c in contract.columns if c.pii]
    shown = []
    for name in dict.fromkeys(wanted):
        value = values.get(name)
        if value is None or str(value).strip() == "":
            continue
        text = mask(str(value)) if name in personal else _short(str(value))
        shown.append(f"{name} {text}")
        if len(shown) == CONTEXT_VALUES:
            break
    return ", ".join(shown)


def sample_line(table: str, sample: RejectSample) -> str:
    """One rejected row in one line, personal values masked:
    'unknown_value  data/orders.csv row 5, line 6: column status: 'lost' is not one of
    completed, refunded, cancelled (order_id o5, email al***@gmail.com)'."""
    where = f"{sample.source_path} row {sample.row_number:,}"
    if sample.line_number is not None:
        where += f", line {sample.line_number:,}"
    detail = sample.detail.removeprefix(f"line {sample.line_number}: ")  # said in `where`
    context = ""
    if sample.reason != "malformed_row":  # a malformed row has no columns to name
        personal = _personal_values(table, sample.row)
        # the detail quotes the offending value (and a duplicate's key) as 'value'
        for value in sorted(set(personal.values()), key=len, reverse=True):
            detail = detail.replace(f"'{value}'", f"'{mask(value)}'")
        context = _context(sample, table, personal)
    line = f"{sample.reason}  {where}: {detail}" + (f" ({context})" if context else "")
    return mask_emails(line)  # an email anywhere else in the text, too


def query_for(table: str | None, load_ids: list[str]) -> str:
    """The `chorus sql` command listing every rejected row of `table` (None: of every
    table) in this load."""
    if len(load_ids) == 1:
        where = f"load_id = '{load_ids[0]}'"
    else:
        where = "load_id in (" + ", ".join(f"'{i}'" for i in load_ids) + ")"
    if table is not None:
        where += f" and table_name = '{table}'"
    return f'chorus sql "select * from raw.rejected_rows where {where}"'


def print_samples(summary: LoadSummary) -> None:
    """A few rejected rows per table and reason (MAX_SAMPLE_LINES in all), each sampled
    table with the query that lists all of its rejects; the tables left out in one line,
    with the query for every reject of the load."""
    rejected = [r for r in summary.results if r.rejected]
    if not rejected:
        return
    console.print(
        "[bold]rejected rows[/] (a few per reason; values that identify a person are masked)"
    )
    shown = 0
    left_out: list = []
    for result in rejected:
        lines = []
        for sample in result.reject_samples:
            if shown == MAX_SAMPLE_LINES:
                break
            lines.append(f"    {sample_line(result.table, sample)}")
            shown += 1
        if not lines:
            left_out.append(result)
            continue
        plain(f"  {result.table}")
        for line in lines:
            plain(line)
        note = "" if result.rejects_recorded else " (recorded by an earlier load)"
        plain(
            f"    all {result.rejected:,}{note}: {query_for(result.table, result.reject_load_ids)}"
        )
    if left_out:
        counts = ", ".join(f"{r.table} {r.rejected:,}" for r in left_out)
        load_ids = sorted({i for r in rejected for i in r.reject_load_ids})
        plain(f"  also rejected: {counts}; every reject of this load:")
        plain(f"    {query_for(None, load_ids)}")


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def print_load(summary: LoadSummary) -> None:
    """The counts of the tables that had files, the tables that had none in one line,
    what the load did, the rejects per reason and samples of them."""
    from orchestration.loader import ROW_COLUMNS

    loaded = [r for r in summary.results if not r.skipped]
    if loaded:
        table = Table(title="raw load (read = inserted + updated + unchanged + rejected)")
        for col in ROW_COLUMNS:
            table.add_column(col, justify="left" if col == "table" else "right")
        for result in loaded:
            table.add_row(*[_cell(v) for v in result.as_row()])
        table.add_row(*[_cell(v) for v in summary.total.as_row()])
        console.print(table)
    if summary.skipped:
        plain(f"no files for: {', '.join(summary.skipped)}")
    if not loaded:
        return
    plain(f"this load: {summary.outcome()}")
    if summary.published is not None:
        plain(f"raw schema on {summary.published.target}: {summary.published.describe()}")
    reasons = summary.rejects_by_reason()
    if reasons:
        present = [r for r in REJECT_REASONS if any(k[1] == r for k in reasons)]
        rejects = Table(title="rejected rows by reason (raw.rejected_rows)")
        rejects.add_column("table")
        for reason in present:
            rejects.add_column(reason, justify="right")
        for table_name in sorted({t for t, _ in reasons}):
            rejects.add_row(table_name, *[f"{reasons.get((table_name, r), 0):,}" for r in present])
        console.print(rejects)
        print_samples(summary)
