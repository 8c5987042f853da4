"""The identity command group: `identity-report` (quality and ground truth),
`identity-explain` (why a customer holds what it holds, why a value belongs to nobody)
and `identity-diff` (what a rule change would do, built beside the marts)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from orchestration import warehouse
from orchestration.commands.common import (
    DbPath,
    Target,
    console,
    explaining,
    fail,
    open_reader,
    parse_vars,
    plain,
    progress_bar,
)


def report(
    truth: Annotated[
        Path | None,
        typer.Option(help="Ground truth folder (DIR/_truth from `chorus generate`)."),
    ] = None,
    top: Annotated[int, typer.Option(help="How many of the largest clusters to list.")] = 10,
    db: DbPath = None,
    target: Target = None,
) -> None:
    """Score identity resolution.

    Identity quality: clusters by size, the largest clusters, shared identifiers; with
    --truth, pairwise precision and recall of "same customer" against ground truth."""
    from orchestration.identity.report import known_customers, quality, score, truth_file

    if truth is not None:
        try:
            truth_file(truth)
        except FileNotFoundError as exc:
            raise fail(
                str(exc),
                "pass the folder `chorus generate` wrote (DIR or DIR/_truth); ground "
                "truth exists only for generated sample data",
                2,
            ) from None
    con = open_reader(db, relations=["marts.customers", "marts.customer_identifiers"])
    try:
        summary = quality(con, top=top)
        known, anonymous = known_customers(con)
        scores = score(con, truth) if truth else None
    except Exception as exc:  # a warehouse without the identity marts
        raise fail(
            f"cannot read the identity marts: {exc}",
            "build them first: `chorus build` (or `chorus run`)",
        ) from None
    finally:
        con.close()

    console.print(customers_line(summary["customers"], known, anonymous))
    sizes = Table(title=f"clusters by size ({summary['customers']:,} customers)")
    sizes.add_column("identifiers per customer")
    sizes.add_column("customers", justify="right")
    for bucket, count in summary["size_buckets"]:
        sizes.add_row(bucket, f"{count:,}")
    console.print(sizes)

    largest = Table(title=f"largest clusters (alarm above {summary['max_cluster_size']})")
    largest.add_column("customer_id")
    largest.add_column("identifiers", justify="right")
    largest.add_column("by type")
    for customer_id, n, by_type in summary["largest"]:
        largest.add_row(customer_id, f"{n:,}", by_type)
    console.print(largest)

    shared = Table(title="shared and junk identifiers (not used to link)")
    shared.add_column("type")
    shared.add_column("shared", justify="right")
    shared.add_column("junk", justify="right")
    shared.add_column("most used shared values (masked)")
    for identifier_type, n_shared, n_junk, examples in summary["shared"]:
        shared.add_row(identifier_type, f"{n_shared:,}", f"{n_junk:,}", examples)
    console.print(shared)

    if scores is not None:
        result = Table(title=f"pairwise 'same customer' vs ground truth ({truth})")
        result.add_column("measure")
        result.add_column("value", justify="right")
        for key, value in scores.items():
            label = SCORE_LABELS.get(key, key)
            if isinstance(value, float):
                result.add_row(label, f"{value:.4%}" if key.endswith("_share") else f"{value:.6f}")
            elif isinstance(value, int):
                result.add_row(label, f"{value:,}")
        console.print(result)
        by_type = Table(title="errors by identifier type")
        by_type.add_column("type")
        columns = sorted({k for counts in scores["errors_by_type"].values() for k in counts})
        for column in columns:
            by_type.add_column(column, justify="right")
        for identifier_type, counts in sorted(scores["errors_by_type"].items()):
            by_type.add_row(identifier_type, *[f"{counts.get(c, 0):,}" for c in columns])
        console.print(by_type)
        flags = ", ".join(f"{k} {v:,}" for k, v in scores["flags"].items())
        console.print(f"shared/junk flags vs truth: {flags}")
    if summary["oversized"]:
        raise fail(
            f"{summary['oversized']} customer(s) have more than {summary['max_cluster_size']} "
            "identifiers: a shared value is probably merging different people",
            "list them above, then block the value in seeds/identity_blocklist.csv or lower "
            "its type's max_at_once or max_over_time in seeds/identity_rules.csv (try the "
            "edit with `chorus identity-diff`), and rebuild",
        )


# the measures of the truth scoring whose key alone would be read as something else
SCORE_LABELS = {
    "identifiers_scored": "identifiers_scored (the truth's linkable ones)",
    "persons": "persons (in the truth, holding a scored identifier)",
    "customers_scored": "customers_scored (holding a scored identifier; all customers above)",
}


def customers_line(customers: int, known: int, anonymous: int) -> str:
    """Every customer, then the known ones and the anonymous profiles among them."""
    return (
        f"customers: {customers:,} ({known:,} known: an email, phone or account; "
        f"{anonymous:,} anonymous: cookies, devices)\n"
        "  each is a row of marts.customers; `where is_known` counts the known ones"
    )


def explain(
    query: Annotated[
        str,
        typer.Argument(
            help="A customer id (cus_...) or an identifier: email, phone, account, "
            "device, cookie or contact id, typed as you have it."
        ),
    ],
    with_: Annotated[
        str | None,
        typer.Option(
            "--with",
            help="Another identifier: show the chain of records that puts "
            "the two in one customer (or say they are not).",
        ),
    ] = None,
    identifier_type: Annotated[
        str | None,
        typer.Option("--type", help="The identifier type, when the value could be several."),
    ] = None,
    records: Annotated[int, typer.Option(help="How many linking records to list.")] = 30,
    db: DbPath = None,
    target: Target = None,
) -> None:
    """Explain a customer or an identifier.

    Why a customer holds its identifiers (the records that link them, what was held
    back and by which rule), or why an identifier belongs to no customer. Values masked."""
    from orchestration import engines
    from orchestration.identity import explain as ex

    if engines.target() == "duckdb":
        con = open_reader(db)
    else:
        # only the records and identifiers near the values asked leave the engine
        plain(
            f"note: reading the identity graph near the values from {engines.target()}",
            style="dim",
        )
        con = ex.neighbourhood_copy([query, *([with_] if with_ else [])])
    try:
        with explaining(
            "identity models",
            "check the value, or pass --type; list customers with `chorus identity-report`",
        ):
            focus = None
            if ex.CUSTOMER_ID.match(query.strip()):
                customer_id = query.strip()
            else:
                focus = _one(ex.find(con, query, identifier_type), query, identifier_type)
                _print_identifier(con, focus)
                customer_id = focus.customer_id
            if customer_id is None:
                return
            explanation = ex.customer(con, customer_id)
            _print_customer(explanation, records)
            if with_ is not None:
                other = _one(ex.find(con, with_, identifier_type), with_, identifier_type)
                _print_path(con, explanation, focus, other)
    finally:
        con.close()


def _one(matches, query: str, identifier_type: str | None):
    from orchestration.identity.explain import ExplainError
    from orchestration.identity.report import mask

    if not matches:
        raise ExplainError(
            f"no identifier {mask(query.strip())}"
            + (f" of type {identifier_type}" if identifier_type else "")
            + " in marts.customer_identifiers (emails and phones are matched as staging"
            " normalizes them: lower-cased, E.164)"
        )
    if len(matches) > 1:
        types = ", ".join(sorted({m.identifier_type for m in matches}))
        raise ExplainError(f"{mask(query.strip())} is an identifier of several types ({types}):"
                           " pass --type")  # fmt: skip
    return matches[0]


def _when(value) -> str:
    return value.strftime("%Y-%m-%d") if value is not None else ""


def _print_identifier(con, identifier) -> None:
    from orchestration.identity import explain as ex

    label = f"{identifier.identifier_type} {identifier.masked}"
    if identifier.customer_id:
        anchor = " (its anchor: the customer id comes from it)" if identifier.is_anchor else ""
        console.print(f"[bold]{label}[/] belongs to customer [bold]{identifier.customer_id}[/]"
                      f"{anchor}")  # fmt: skip
        return
    if identifier.is_junk:
        console.print(f"[bold]{label}[/] belongs to no customer: [red]junk[/] "
                      f"({identifier.reason}); identity_blocklist holds it back, it links "
                      "nobody.")  # fmt: skip
        return
    console.print(f"[bold]{label}[/] belongs to no customer: [red]shared[/] "
                  f"({identifier.reason}); it links nobody.")  # fmt: skip
    for evidence in ex.limits(con, identifier):
        bounds = (
            f"at most {evidence.max_at_once}"
            + (f" in use at once, {evidence.max_over_time} over time, an old one may "
               f"show for {evidence.handover_days} days after the next"
               if evidence.max_over_time > evidence.max_at_once else "")
        )  # fmt: skip
        table = Table(
            title=f"{evidence.counted_type} values seen with it (identity_rules: {bounds})"
        )
        for column in ("value", "in use from", "until", "customer"):
            table.add_column(column)
        for value in evidence.values:
            table.add_row(value["value"], _when(value["from"]), _when(value["until"]),
                          value["customer_id"] or "")  # fmt: skip
        if evidence.more:
            table.add_row(f"... {evidence.more:,} more", "", "", "")
        console.print(table)
        console.print(f"  the rule: {evidence.description}")


def _print_customer(explanation, records: int) -> None:
    from orchestration.identity.report import mask

    members = Table(title=f"customer {explanation.customer_id}: "
                    f"{len(explanation.identifiers)} identifiers")  # fmt: skip
    for column in ("type", "value", "first seen", "in use since", "last seen", "seen"):
        members.add_column(column, justify="right" if column == "seen" else "left")
    for m in explanation.identifiers:
        members.add_row(m.identifier_type, m.masked + (" (anchor)" if m.is_anchor else ""),
                        _when(m.first_seen_at), _when(m.first_active_at), _when(m.last_seen_at),
                        f"{m.occurrences:,}")  # fmt: skip
    console.print(members)
    held = {h.key for h in explanation.held_back}
    linking = Table(title="records that link them (identifiers seen together on one "
                    "source's rows; * = held back, links nothing)")  # fmt: skip
    for column in ("source", "identifiers on the record", "first", "last", "rows"):
        linking.add_column(column, justify="right" if column == "rows" else "left")
    for record in explanation.linking_records[:records]:
        linking.add_row(
            record.source_system,
            ", ".join(f"{t} {mask(v)}" + ("*" if (t, v) in held else "")
                      for t, v in record.identifiers),
            _when(record.first_seen_at), _when(record.last_seen_at), f"{record.row_count:,}",
        )  # fmt: skip
    console.print(linking)
    hidden = len(explanation.linking_records) - records
    if hidden > 0:
        console.print(f"... {hidden:,} more linking records (--records to list them)")
    console.print(f"{explanation.sightings:,} more records hold just one of its identifiers"
                  " (opens, page views, texts): they add sightings, not links.")  # fmt: skip
    if explanation.held_back:
        table = Table(title="held back on its records (shared or junk: linked to nobody)")
        for column in ("type", "value", "why"):
            table.add_column(column)
        for h in explanation.held_back:
            table.add_row(
                h.identifier_type,
                h.masked,
                ("junk: " if h.is_junk else "shared: ") + (h.reason or ""),
            )
        console.print(table)
    for merged, change, at in explanation.merges:
        console.print(f"identity_merges: {merged} {change} into it as of {at}")


def _print_path(con, explanation, focus, other) -> None:
    from orchestration.identity import explain as ex

    if other.customer_id != explanation.customer_id:
        where = f"customer {other.customer_id}" if other.customer_id else "no customer"
        console.print(f"[bold]{other.identifier_type} {other.masked}[/] belongs to {where}, not "
                      f"{explanation.customer_id}: they are not one customer.")  # fmt: skip
        return
    start = focus.key if focus is not None else explanation.identifiers[0].key
    chain = ex.path(con, explanation, start, other.key)
    console.print("[bold]why they are one customer[/] (each step: seen together on a record):")
    for step in chain:
        if isinstance(step, tuple):
            console.print(f"  {step[0]} {ex.mask(step[1])}")
        elif step == "sha256":
            console.print("    | is the SHA-256 of (ad platforms send emails hashed)")
        else:
            console.print(
                f"    | {step.source_system} record, {step.row_count:,} rows, "
                f"{_when(step.first_seen_at)}..{_when(step.last_seen_at)}"
            )


def diff(
    seed: Annotated[
        list[Path] | None,
        typer.Option(
            help="A CSV to use in place of the seed of the same name "
            "(identity_rules.csv, identity_blocklist.csv); repeatable. Default: the "
            "seeds as they are in dbt_project/seeds/ now."
        ),
    ] = None,
    vars_: Annotated[
        str | None,
        typer.Option(
            "--vars",
            help="dbt vars for the scratch build, as YAML or JSON, e.g. "
            "'{chorus_identity_bridge_max_cluster_size: 200}'.",
        ),
    ] = None,
    sample: Annotated[int, typer.Option(help="Examples to list per kind of change.")] = 5,
    keep: Annotated[bool, typer.Option(help="Keep the identity_diff_* schemas.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    db: DbPath = None,
) -> None:
    """Preview an identity rule change.

    Build identity with the edited seeds (or --vars) into
    scratch schemas, from exactly the evidence the marts read, and report the customers
    that would merge, split or change id, by cause. The marts are not touched."""
    from orchestration.identity.diff import DiffError, run

    extra = parse_vars(vars_)
    db = warehouse.check_writable(db)  # it builds scratch schemas into the warehouse
    try:
        if as_json:
            report = run(db, seed, extra, sample, keep)
        else:
            done = {"n": 0}
            with progress_bar("scratch identity build") as update:

                def on_node(unique_id: str, status: str) -> None:
                    done["n"] += 1
                    update(unique_id.split(".", 2)[-1], done["n"], 0)

                report = run(db, seed, extra, sample, keep, on_node)
    except DiffError as exc:
        raise fail(
            str(exc), "fix the seed or vars, or build the marts (`chorus build`) first"
        ) from None
    if as_json:
        console.print_json(json.dumps(report.as_dict(), default=str))
        return
    _print_diff(report)


KIND_WORDS = {
    "merge": "customers that would merge into one",
    "split": "customers that would split",
    "id_change": "customers that would change id",
    "held_back": "identifiers that would be held back (shared or junk: no customer)",
    "released": "identifiers that would be released (attached to a customer again)",
}


def _print_diff(report) -> None:
    console.print(
        f"identity as of {report.as_of}, evidence loaded through {report.loaded_through}: "
        f"{report.identifiers:,} identifiers, {report.customers_before:,} customers now, "
        f"{report.customers_after:,} with the change ({report.seconds:.1f} s)"
    )
    if report.rule_changes:
        rules = Table(title="rule changes (seeds in the marts' build vs the scratch build)")
        rules.add_column("change")
        for line in report.rule_changes:
            rules.add_row(line)
        console.print(rules)
    else:
        console.print("no seed row differs from the marts' build (vars or code may)")
    summary = Table(title="what would change")
    summary.add_column("change")
    summary.add_column("count", justify="right")
    for kind, words in KIND_WORDS.items():
        summary.add_row(words, f"{report.counts.get(kind, 0):,}")
    console.print(summary)
    for kind, words in KIND_WORDS.items():
        causes = report.causes.get(kind)
        if not causes:
            continue
        table = Table(title=f"{words}: by cause")
        table.add_column("cause")
        table.add_column("count", justify="right")
        for cause, count in causes.most_common(10):
            table.add_row(cause, f"{count:,}")
        console.print(table)
    if report.changes:
        examples = Table(title="examples")
        for column in ("change", "before", "after", "identifiers", "some of them (masked)"):
            examples.add_column(column)
        for change in report.changes:
            examples.add_row(change.kind, ", ".join(change.customers_before),
                             ", ".join(change.customers_after), f"{change.identifiers:,}",
                             ", ".join(change.sample))  # fmt: skip
        console.print(examples)
