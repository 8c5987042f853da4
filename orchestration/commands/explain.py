"""`chorus explain CUSTOMER [--as-of T]`: for a marketer, what Chorus decided for one
customer and why (orchestration/decisioning/explain.py)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from orchestration.commands.common import (
    DbPath,
    Target,
    console,
    explaining,
    open_reader,
    plain,
)


def explain(
    customer: Annotated[
        str,
        typer.Argument(
            help="A customer id (cus_...), or an email, a phone or another identifier of "
            "the customer, typed as you have it."
        ),
    ],
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Show the decisions of the latest run for this as_of (decision_log) "
            "instead of the current send queue.",
        ),
    ] = None,
    db: DbPath = None,
    target: Target = None,
) -> None:
    """Explain the send queue for one customer.

    Their identifiers (masked), consent per channel with its source, fatigue, cap and
    budget, active suppressions, and every candidate message with its decision, channel,
    local send time and reason."""
    from orchestration import engines
    from orchestration.cli import parse_as_of
    from orchestration.decisioning import explain as ex

    when = parse_as_of(as_of) if as_of else None
    expected_failures = explaining(
        "decisioning marts",
        'check the value; `chorus sql "select customer_id from marts.send_queue limit 5"`'
        " lists customers with decisions",
    )
    if engines.target() != "duckdb":
        # only the customer's rows leave the engine (orchestration/decisioning/explain.py)
        plain(f"note: reading the customer's rows from {engines.target()}", style="dim")
        with expected_failures:
            explanation = ex.explain_native(customer, when)
    else:
        con = open_reader(db)
        try:
            with expected_failures:
                explanation = ex.explain(con, customer, when)
        finally:
            con.close()
    _print(explanation)


def _zone(e) -> str:
    """The customer's time zone; when it is unknown, the zone their sends were timed in
    (var chorus_default_timezone when the queue was built)."""
    if e.profile["timezone"]:
        return e.profile["timezone"]
    used = sorted({c.timezone for c in e.candidates if c.timezone})
    return "unknown" + (f" (send times in {', '.join(used)}, the default)" if used else "")


def _print(e) -> None:
    p = e.profile
    plain(
        f"customer {e.customer_id}"
        + (f" (found by {e.resolved_from})" if e.resolved_from else "")
        + f": {p['lifecycle_stage']}, {'known' if p['is_known'] else 'anonymous'},"
        f" time zone {_zone(e)}"
        + (f"; decisions as of {e.as_of:%Y-%m-%d %H:%M:%S} UTC" if e.as_of else ""),
        style="bold",
    )
    ids = Table(title="identifiers (masked)")
    for column in ("type", "value", "shared"):
        ids.add_column(column)
    for kind, value, shared in e.identifiers:
        ids.add_row(kind, value, "shared" if shared else "")
    console.print(ids)

    consent = Table(title="consent")
    for column in ("channel", "purpose", "status", "basis", "source", "since"):
        consent.add_column(column)
    for channel, purpose, status, basis, source, changed_at in e.consent:
        since = f"{changed_at:%Y-%m-%d}" if changed_at else ""
        consent.add_row(channel, purpose, status, basis, source or "", since)
    console.print(consent)

    f = e.fatigue
    if f is None:
        plain("fatigue: none recorded")
    else:
        plain(
            f"fatigue {f['fatigue_score']:.2f} ({f['engagement_tier']} tier, cap"
            f" {f['tier_weekly_cap']}): weekly cap {f['weekly_cap']}, {f['contacts_last_7d']}"
            f" marketing contacts in 7 days, budget {f['remaining_budget']} left;"
            f" open channels: {f['open_channels']}"
        )

    if e.suppressions:
        active = Table(title="active suppressions")
        for column in ("scope", "value", "reason", "since", "until"):
            active.add_column(column)
        for scope, value, reason, starts_at, ends_at in e.suppressions:
            active.add_row(
                scope,
                value or "",
                reason or "",
                f"{starts_at:%Y-%m-%d}" if starts_at else "",
                f"{ends_at:%Y-%m-%d}" if ends_at else "until it changes",
            )
        console.print(active)
    else:
        plain("active suppressions: none")

    if not e.candidates:
        plain("no candidate messages: the customer is in no active campaign's audience"
              " and has no due journey step")  # fmt: skip
        return
    queue = Table(title=f"candidate messages ({len(e.candidates)})")
    for column in ("campaign", "journey", "decision", "channel", "send at", "priority", "offer"):
        queue.add_column(column)
    queue.add_column("reason", overflow="fold")
    styles = {"send": "green", "hold": "yellow", "suppress": "red"}
    for c in e.candidates:
        queue.add_row(
            c.campaign_id,
            c.journey,
            f"[{styles[c.decision]}]{c.decision}[/]",
            c.channel or "-",
            c.local_time,
            f"{c.priority:.2f}" if c.priority is not None else "-",
            c.offer_code or "",
            c.reason,
        )
    console.print(queue)
