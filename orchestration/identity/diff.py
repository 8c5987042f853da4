"""`chorus identity-diff`: what a change of the identity rules would do to the customers,
before it is made. Builds identity resolution with the edited seeds (or other --vars)
into scratch schemas (identity_diff_*) of the same warehouse, reading exactly the
evidence the current marts read (their batch's as_of and last load), then compares the
scratch customer_identifiers with marts.customer_identifiers: customers that would merge,
split, change id, identifiers that would be held back or released, each with the flag
changes that cause it. The marts are not touched; the scratch schemas are dropped
afterwards unless asked to keep them.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from orchestration import settings
from orchestration.identity.report import mask

PREFIX = "identity_diff_"
KINDS = ("merge", "split", "id_change", "held_back", "released")
SCHEMAS = ("seeds", "staging", "intermediate", "marts")
SEED_NAMES = ("identity_rules", "identity_blocklist", "country_calling_codes")
# what identity depends on: every identity model, the staging views and seeds they read
SELECT = "+customer_identifiers"


class DiffError(Exception):
    """An expected failure (no baseline, a bad seed file, the scratch build failed)."""


@dataclass
class Change:
    kind: str  # merge, split, id_change, held_back, released
    customers_before: list[str]
    customers_after: list[str]
    identifiers: int
    causes: list[str]
    sample: list[str]  # masked identifiers


@dataclass
class DiffReport:
    as_of: str
    loaded_through: str
    rule_changes: list[str]
    identifiers: int
    customers_before: int
    customers_after: int
    counts: dict[str, int]
    causes: dict[str, Counter]
    changes: list[Change] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {
            "as_of": self.as_of,
            "loaded_through": self.loaded_through,
            "rule_changes": self.rule_changes,
            "identifiers": self.identifiers,
            "customers_before": self.customers_before,
            "customers_after": self.customers_after,
            "counts": self.counts,
            "causes": {kind: dict(counter) for kind, counter in self.causes.items()},
            "changes": [change.__dict__ for change in self.changes],
            "seconds": round(self.seconds, 1),
        }


def run(
    db: Path | None = None,
    seeds: list[Path] | None = None,
    extra_vars: dict | None = None,
    sample: int = 5,
    keep: bool = False,
    on_node: Callable[[str, str], None] | None = None,
) -> DiffReport:
    import time

    from orchestration.dbt import run_dbt

    started = time.perf_counter()
    db = db or settings.duckdb_path()
    if not db.exists():
        raise DiffError(f"{db} does not exist: build the warehouse first (`chorus run`)")
    as_of, loaded_through = _baseline(db)
    with _project(seeds or []) as project_dir:
        variables = {
            **(extra_vars or {}),
            "chorus_schema_prefix": PREFIX,
            "chorus_as_of": as_of,
            "chorus_identity_loaded_through": loaded_through,
        }
        try:
            _drop(db)
            outcome = run_dbt(
                ["build", "--select", SELECT, "--resource-type", "seed", "--resource-type",
                 "model"],
                vars=variables,
                db_path=db,
                on_node=on_node,
                project_dir=project_dir,
            )  # fmt: skip
            if not outcome.success:
                details = "; ".join(outcome.failures[:3]) or outcome.exception or "see dbt.log"
                raise DiffError(f"the scratch build failed: {details}")
            report = compare(db, sample=sample)
        finally:
            if not keep:
                _drop(db)
    report.as_of, report.loaded_through = as_of, loaded_through
    report.seconds = time.perf_counter() - started
    return report


def compare(db: Path, sample: int = 5) -> DiffReport:
    """Compare identity_diff_marts.customer_identifiers with marts.customer_identifiers."""
    con = settings.connect(db, read_only=True)
    try:
        return _compare(con, sample)
    finally:
        con.close()


def _compare(con, sample: int) -> DiffReport:
    con.execute(f"""
        create temp table identity_diff as
        select
            coalesce(before.identifier_type, after.identifier_type) as identifier_type,
            coalesce(before.identifier_value, after.identifier_value) as identifier_value,
            before.customer_id as customer_before,
            after.customer_id as customer_after,
            before.flag_reason as reason_before,
            after.flag_reason as reason_after
        from marts.customer_identifiers as before
        full outer join {PREFIX}marts.customer_identifiers as after
            on before.identifier_type = after.identifier_type
            and before.identifier_value = after.identifier_value
    """)
    (identifiers, before_n, after_n) = con.sql(
        "select count(*), count(distinct customer_before), count(distinct customer_after)"
        " from identity_diff"
    ).fetchall()[0]
    # how each customer's identifiers spread over the other side's customers
    con.execute("""
        create temp table identity_diff_pieces as
        select customer_before, customer_after, count(*) as identifiers
        from identity_diff
        where customer_before is not null and customer_after is not null
        group by all
    """)
    grouped = (
        "select {one}, list(distinct {many} order by {many}), sum(identifiers)"
        " from identity_diff_pieces group by 1 having count(distinct {many}) > 1 order by 1"
    )
    merges = con.sql(grouped.format(one="customer_after", many="customer_before")).fetchall()
    splits = con.sql(grouped.format(one="customer_before", many="customer_after")).fetchall()
    renamed = con.sql("""
        with one_to_one as (
            select customer_before, customer_after, identifiers,
                   count(*) over (partition by customer_before) as afters,
                   count(*) over (partition by customer_after) as befores
            from identity_diff_pieces
        )
        select customer_before, customer_after, identifiers from one_to_one
        where afters = 1 and befores = 1 and customer_before <> customer_after
        order by 1
    """).fetchall()
    flag_changes = con.sql("""
        select identifier_type, identifier_value, customer_before, customer_after,
               reason_before, reason_after
        from identity_diff
        where (customer_before is null) <> (customer_after is null)
           or coalesce(reason_before, '') <> coalesce(reason_after, '')
        order by identifier_type, identifier_value
    """).fetchall()
    cause_of: dict[str, set[str]] = {}  # customer (either side) -> flag changes inside it
    held_back, released = [], []
    for type_, value, before, after, reason_before, reason_after in flag_changes:
        cause = _cause(type_, reason_before, reason_after)
        for customer in (before, after):
            if customer:
                cause_of.setdefault(customer, set()).add(cause)
        if before and not after:
            held_back.append((type_, value, before, cause))
        elif after and not before:
            released.append((type_, value, after, cause))

    changes: list[Change] = []

    def add(kind: str, before: list[str], after: list[str], n: int) -> None:
        causes = sorted({c for cid in before + after for c in cause_of.get(cid, ())})
        changes.append(Change(
            kind, before, after, int(n),
            causes or ["no identifier changed its flag: the graph around it did (a bridge, "
                       "the anchor rule)"],
            [],
        ))  # fmt: skip

    for after, befores, n in merges:
        add("merge", list(befores), [after], n)
    for before, afters, n in splits:
        add("split", [before], list(afters), n)
    for before, after, n in renamed:
        add("id_change", [before], [after], n)
    for kind, rows in (("held_back", held_back), ("released", released)):
        for type_, value, customer, cause in rows:
            change = Change(kind, [customer] if kind == "held_back" else [],
                            [customer] if kind == "released" else [], 1, [cause],
                            [f"{type_} {mask(value)}"])  # fmt: skip
            changes.append(change)
    counts = Counter(change.kind for change in changes)
    causes: dict[str, Counter] = {}
    for change in changes:
        for cause in change.causes:
            causes.setdefault(change.kind, Counter())[cause] += 1
    shown: list[Change] = []
    for kind in KINDS:
        shown += [c for c in changes if c.kind == kind][:sample]
    _sample_members(con, shown)
    con.execute("drop table identity_diff; drop table identity_diff_pieces")
    return DiffReport(
        as_of="",
        loaded_through="",
        rule_changes=_rule_changes(con),
        identifiers=int(identifiers),
        customers_before=int(before_n),
        customers_after=int(after_n),
        counts={kind: counts.get(kind, 0) for kind in KINDS},
        causes=causes,
        changes=shown,
    )


def _sample_members(con, changes: list[Change]) -> None:
    """A few masked identifiers of each shown merge, split or id change."""
    for change in changes:
        if change.sample:
            continue
        schema, customers = (
            (f"{PREFIX}marts", change.customers_after)
            if change.kind == "merge"
            else ("marts", change.customers_before)
        )
        rows = con.execute(
            f"select identifier_type, identifier_value from {schema}.customer_identifiers"
            " where customer_id in (select unnest(?)) order by 1, 2 limit 6",
            [customers],
        ).fetchall()
        change.sample = [f"{t} {mask(v)}" for t, v in rows]


def _cause(identifier_type: str, before: str | None, after: str | None) -> str:
    """A flag change as a cause, numbers generalised so like changes count together."""
    if after and not before:
        return f"{identifier_type} held back: {_general(after)}"
    if before and not after:
        return f"{identifier_type} released (was: {_general(before)})"
    return f"{identifier_type}: {_general(before)} -> {_general(after)}"


def _general(reason: str | None) -> str:
    return re.sub(r"(seen with|holding) \d+", r"\1 N", reason or "")


def _rule_changes(con) -> list[str]:
    """Rows of the identity seeds that differ between the marts' build and the scratch one."""
    out = []
    for seed in ("identity_rules", "identity_blocklist"):
        for side, query in (
            ("removed", f"select * from seeds.{seed} except select * from {PREFIX}seeds.{seed}"),
            ("added", f"select * from {PREFIX}seeds.{seed} except select * from seeds.{seed}"),
        ):
            try:
                rows = con.sql(query).fetchall()
            except Exception as exc:  # the seed's columns changed: report it as such
                return [f"{seed}: columns differ ({str(exc).splitlines()[0]})"]
            out += [f"{seed} {side}: " + ", ".join(str(v) for v in row[:-1]) for row in rows]
    return sorted(out)


def _baseline(db: Path) -> tuple[str, str]:
    """as_of and loaded_through of the batch the marts were built from."""
    con = settings.connect(db, read_only=True)
    try:
        rows = con.sql(
            "select cast(as_of as varchar), cast(loaded_through as varchar)"
            " from intermediate.int_identity_batches where model_name = 'int_identity_batches'"
            " order by batch_id desc limit 1"
        ).fetchall()
        con.sql("select 1 from marts.customer_identifiers limit 1").fetchall()
    except Exception:
        rows = []
    finally:
        con.close()
    if not rows or rows[0][1] is None:
        raise DiffError(
            "the warehouse has no identity marts to compare with: build them first"
            " (`chorus build`), then edit the seeds and run identity-diff"
        )
    return rows[0][0], rows[0][1]


@contextmanager
def _project(seeds: list[Path]):
    """The dbt project to build: dbt_project/ itself, or a copy with `seeds` (CSV files
    named like the seeds they replace) in place of the project's."""
    if not seeds:
        yield None
        return
    for seed in seeds:
        if not seed.is_file():
            raise DiffError(f"--seed {seed}: no such file")
        if seed.stem not in SEED_NAMES:
            raise DiffError(
                f"--seed {seed}: the file must be named after the seed it replaces"
                f" ({', '.join(name + '.csv' for name in SEED_NAMES)})"
            )
    with tempfile.TemporaryDirectory(prefix="chorus_identity_diff_") as tmp:
        copy = Path(tmp) / "dbt_project"
        shutil.copytree(
            settings.DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs")
        )
        for seed in seeds:
            shutil.copyfile(seed, copy / "seeds" / f"{seed.stem}.csv")
        yield copy


def _drop(db: Path) -> None:
    con = settings.connect(db)
    try:
        for schema in SCHEMAS:
            con.execute(f"drop schema if exists {PREFIX}{schema} cascade")
    finally:
        con.close()
