"""`chorus explain CUSTOMER`: what Chorus decided for one customer and why. Reads the
marts the send queue was decided from (identifiers, consent, fatigue, suppressions) and
the queue itself, or, with an as_of, the decision_log rows of the latest run for that
as_of; it never recomputes a decision. Identifier values are masked.

On DuckDB it reads the warehouse. On PostgreSQL and Spark (`explain_native`) it finds the
customer on the engine, copies that customer's rows of each relation into an in-memory
DuckDB and reads them there with the same SQL; which runs the log holds is asked of the
engine, since the customer may have no row in a run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from orchestration.identity.explain import (
    CUSTOMER_ID,
    IDENTIFIERS,
    ExplainError,
    Read,
    markers,
    normalized,
    owners,
)
from orchestration.masking import mask

QUEUE = "marts.send_queue"
LOG = "marts.decision_log"
# what explain shows of a candidate, in send_queue and decision_log alike (the queue is
# the log's latest run; a run logged before the log kept local times has them null, and
# shows its UTC time)
COLUMNS = (
    "campaign_id, journey_id, step, decision, channel, priority_score, offer_code, reason,"
    " local_send_time, timezone, scheduled_at"
)
# everything explain reads of a customer, each by its customer_id (on the postgres and
# spark targets the customer's rows are copied into DuckDB first)
RELATIONS = [
    IDENTIFIERS,
    "marts.customers",
    "marts.customer_consent",
    "marts.customer_fatigue",
    "marts.suppressions",
    QUEUE,
    LOG,
]


@dataclass
class Candidate:
    campaign_id: str
    journey: str
    decision: str
    channel: str | None
    local_time: str
    priority: float | None
    offer_code: str | None
    reason: str
    timezone: str | None = None  # the zone its send time was set in


@dataclass
class Explanation:
    customer_id: str
    as_of: datetime | None
    resolved_from: str | None  # the masked identifier the query matched
    identifiers: list[tuple[str, str, bool]]  # type, masked value, shared
    profile: dict[str, Any]
    consent: list[tuple]  # channel, purpose, status, basis, source, changed_at
    fatigue: dict[str, Any] | None
    suppressions: list[tuple]  # scope, value, reason, starts_at, ends_at
    candidates: list[Candidate]


def resolve(read: Read, query: str) -> tuple[str, str | None]:
    """The customer id of a customer id, an email, a phone or another identifier."""
    text = query.strip()
    if CUSTOMER_ID.match(text):
        return text, None
    values = normalized(text)
    customers = owners(read, values)
    if not customers:
        held_back = read(
            f"select identifier_type, is_shared, flag_reason from {IDENTIFIERS}"
            f" where identifier_value in ({markers(values)}) and customer_id is null"
            " and (is_shared or is_junk) order by 1",
            values,
        )
        if held_back:
            kind, shared, why = held_back[0]
            raise ExplainError(
                f"the {kind} {mask(text)} belongs to no customer: identity holds it back as"
                f" {'shared' if shared else 'junk'} ({why}), so nothing is decided for it",
                "`chorus identity-explain` with the same value lists the customers seen with"
                " it; pass one of their ids",
            )
        raise ExplainError(
            f"no customer with the identifier {mask(text)} (emails and phones are matched as"
            " staging normalizes them: lower-cased, E.164)"
        )
    if len(customers) > 1:
        raise ExplainError(
            f"{mask(text)} is an identifier of {len(customers)} customers"
            f" ({', '.join(customers)}): pass one of their ids"
        )
    return customers[0], mask(text)


def reader_of(con) -> Read:
    """`Read` on a DuckDB connection."""
    return lambda sql, params: con.execute(sql, params).fetchall()


def explain(con, query: str, as_of: str | None = None) -> Explanation:
    """The explanation from a DuckDB warehouse."""
    read = reader_of(con)
    customer_id, resolved_from = resolve(read, query)
    return explain_customer(con, read, customer_id, resolved_from, as_of)


def explain_native(query: str, as_of: str | None = None, target: str | None = None) -> Explanation:
    """The explanation from the postgres or spark target: the customer found there, their
    rows of RELATIONS copied into an in-memory DuckDB."""
    from orchestration.engines.reader import Native, local_copy

    native = Native(target)
    try:
        native.require(RELATIONS)
        customer_id, resolved_from = resolve(native.rows, query)
        by_customer = ("customer_id = ?", [customer_id])
        con = local_copy(RELATIONS, rows=dict.fromkeys(RELATIONS, by_customer), native=native)
        try:
            return explain_customer(con, native.rows, customer_id, resolved_from, as_of)
        finally:
            con.close()
    finally:
        native.close()


def explain_customer(
    con, read: Read, customer_id: str, resolved_from: str | None, as_of: str | None
) -> Explanation:
    """`con` holds the customer's rows (the warehouse, or a copy of them); `read` asks the
    warehouse itself which runs the log holds."""
    profile = _row(
        con,
        "select customer_id, is_known, lifecycle_stage, timezone, country"
        " from marts.customers where customer_id = ?",
        [customer_id],
    )
    if profile is None:
        raise ExplainError(f"no customer {customer_id} in marts.customers")
    identifiers = [
        (kind, mask(value), bool(shared))
        for kind, value, shared in con.execute(
            f"select identifier_type, identifier_value, is_shared from {IDENTIFIERS}"
            " where customer_id = ? order by identifier_type, identifier_value",
            [customer_id],
        ).fetchall()
    ]
    consent = con.execute(
        "select channel, purpose, status, basis, source, changed_at"
        " from marts.customer_consent where customer_id = ?"
        " order by channel, purpose",
        [customer_id],
    ).fetchall()
    fatigue = _row(
        con,
        "select fatigue_score, engagement_tier, weekly_cap, tier_weekly_cap, contacts_last_7d,"
        " remaining_budget, open_channels from marts.customer_fatigue where customer_id = ?",
        [customer_id],
    )
    suppressions = con.execute(
        "select scope, scope_value, reason, starts_at, ends_at from marts.suppressions"
        " where customer_id = ? order by starts_at, scope, scope_value",
        [customer_id],
    ).fetchall()
    built_as_of, candidates = _candidates(con, read, customer_id, as_of)
    return Explanation(
        customer_id=customer_id,
        as_of=built_as_of,
        resolved_from=resolved_from,
        identifiers=identifiers,
        profile=profile,
        consent=[tuple(row) for row in consent],
        fatigue=fatigue,
        suppressions=[tuple(row) for row in suppressions],
        candidates=candidates,
    )


def _candidates(
    con, read: Read, customer_id: str, as_of: str | None
) -> tuple[datetime | None, list]:
    order = (
        " order by case decision when 'send' then 0 when 'hold' then 1 else 2 end,"
        " priority_score desc nulls last, campaign_id"
    )
    if as_of is None:
        rows = con.execute(
            f"select {COLUMNS} from {QUEUE} where customer_id = ?" + order, [customer_id]
        ).fetchall()
        built = read(f"select max(as_of) from {QUEUE}", [])
        built_as_of = built[0][0] if built else None
    else:
        runs = read(
            f"select run_id, as_of from {LOG} where as_of = cast(? as timestamp)"
            " order by logged_at desc, run_id desc limit 1",
            [as_of],
        )
        if not runs:
            known = [
                str(value)
                for (value,) in read(
                    f"select distinct as_of from {LOG} order by as_of desc limit 5", []
                )
            ]
            raise ExplainError(
                f"no send queue was built for as_of {as_of} (decision_log holds "
                + (", ".join(known) if known else "no run yet")
                + "); build it with `chorus build --as-of ...`"
            )
        run_id, built_as_of = runs[0]
        rows = con.execute(
            f"select {COLUMNS} from {LOG} where run_id = ? and customer_id = ?" + order,
            [run_id, customer_id],
        ).fetchall()
    candidates = []
    for row in rows:
        campaign, journey, step, decision, channel, priority, offer, reason = row[:8]
        local, zone, scheduled_at = row[8:]
        if local is not None:
            when = f"{local:%Y-%m-%d %H:%M} {zone}"
        elif scheduled_at is not None and decision != "suppress":
            when = f"{scheduled_at:%Y-%m-%d %H:%M} UTC"
        else:
            when = "-"
        candidates.append(
            Candidate(
                campaign_id=campaign,
                journey=f"{journey} step {step}" if journey else "-",
                decision=decision,
                channel=channel,
                local_time=when,
                priority=priority,
                offer_code=offer,
                reason=reason,
                timezone=zone,
            )
        )
    return built_as_of, candidates


def _row(con, sql: str, params: list) -> dict[str, Any] | None:
    cursor = con.execute(sql, params)
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cursor.description], row, strict=True))
