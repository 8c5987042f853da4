"""`chorus identity-explain`: why a customer holds the identifiers it holds, and why a
value belongs to nobody. Reads the identity marts and the intermediate tables they are
built from (the evidence records), never recomputes a verdict: the reasons shown are the
ones the dbt models stored, the facts beside them are what those models read.

Values are masked (identity.report.mask) everywhere; the query itself is matched after
the same normalization staging applies (lower-cased email, E.164 phone).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from orchestration.identity.report import mask

CUSTOMER_ID = re.compile(r"^cus_[0-9a-f]{16}$")
PHONE_LIKE = re.compile(r"^[+(]?[0-9][0-9 ().\-/]{5,}$")
IDENTIFIERS = "marts.customer_identifiers"
NODES = "intermediate.int_identity_identifiers"
RECORDS = "intermediate.int_identity_records"
RECORD_NODES = "intermediate.int_identity_record_identifiers"
# everything explain reads (on the postgres and spark targets, the rows near the values
# asked about are copied into DuckDB first: neighbourhood_copy)
RELATIONS = [
    IDENTIFIERS,
    NODES,
    RECORDS,
    RECORD_NODES,
    "intermediate.int_identity_customer_ids",
    "intermediate.int_identity_limits",
    "seeds.identity_rules",
    "marts.identity_merges",
]
# a statement in SQL that DuckDB, PostgreSQL and Spark all read, with `?` markers and
# their values -> its rows (a DuckDB connection's or an engine's: engines.reader.Native.rows)
Read = Callable[[str, list], list[tuple]]
TYPES = ("contact_id", "user_id", "email", "phone", "device_id", "anonymous_id", "email_sha256")


class ExplainError(Exception):
    """An expected failure (nothing found, ambiguous query): one line for the user, and
    what to do when the command's usual advice does not fit (`hint`)."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


@dataclass
class Identifier:
    identifier_type: str
    identifier_value: str
    customer_id: str | None
    is_shared: bool
    is_junk: bool
    reason: str | None
    first_seen_at: datetime | None
    first_active_at: datetime | None
    last_seen_at: datetime | None
    occurrences: int
    is_anchor: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return self.identifier_type, self.identifier_value

    @property
    def masked(self) -> str:
        return mask(self.identifier_value)


@dataclass
class Record:
    """One evidence record: identifiers seen together on one source's rows."""

    record_id: int
    source_system: str
    identifiers: list[tuple[str, str]]
    first_seen_at: datetime
    last_seen_at: datetime
    row_count: int


@dataclass
class LimitEvidence:
    """What a limit of identity_rules counted for one value: the rule and the values."""

    counted_type: str
    max_at_once: int
    max_over_time: int
    handover_days: int
    description: str
    values: list[dict[str, Any]]  # value (masked), in use from/until, customer_id
    more: int = 0  # values left out of the list


@dataclass
class CustomerExplanation:
    customer_id: str
    identifiers: list[Identifier]
    linking_records: list[Record]  # records holding two or more of its identifiers
    sightings: int  # records holding just one of its identifiers
    held_back: list[Identifier]  # shared or junk values seen on its records
    merges: list[tuple[str, str, str]] = field(default_factory=list)  # id, change, at


def find(con, query: str, identifier_type: str | None = None) -> list[Identifier]:
    """The identifiers matching `query` (a customer id is not an identifier)."""
    if identifier_type is not None and identifier_type not in TYPES:
        raise ExplainError(
            f"--type {identifier_type!r} is not an identifier type; use one of {', '.join(TYPES)}"
        )
    candidates = normalized(query)
    rows = _identifiers(
        con,
        "w.identifier_value in (select unnest(?))"
        + (" and w.identifier_type = ?" if identifier_type else ""),
        [candidates, identifier_type] if identifier_type else [candidates],
    )
    return rows


def customer(con, customer_id: str) -> CustomerExplanation:
    members = _identifiers(con, "w.customer_id = ?", [customer_id])
    if not members:
        raise ExplainError(f"no customer {customer_id} in {IDENTIFIERS}")
    records = _records_of(con, [m.key for m in members])
    member_keys = {m.key for m in members}
    linking = [r for r in records if sum(k in member_keys for k in r.identifiers) >= 2]
    others = {k for r in records for k in r.identifiers if k not in member_keys}
    held_back = [
        i for i in _by_keys(con, others) if i.customer_id is None and (i.is_shared or i.is_junk)
    ]
    merges = con.execute(
        "select merged_customer_id, change_type, cast(merged_at as varchar)"
        " from marts.identity_merges where surviving_customer_id = ? order by merged_at",
        [customer_id],
    ).fetchall()
    return CustomerExplanation(
        customer_id=customer_id,
        identifiers=sorted(members, key=lambda m: (not m.is_anchor, m.identifier_type, m.key)),
        linking_records=linking,
        sightings=len(records) - len(linking),
        held_back=sorted(held_back, key=lambda i: i.key),
        merges=[tuple(row) for row in merges],
    )


def limits(con, identifier: Identifier, top: int = 10) -> list[LimitEvidence]:
    """For a value held back as shared: per limit of its type, the counted values (or
    first names) on its own records, when each was in use, and whose they are."""
    rules = con.execute(
        "select limits.counted_type, limits.max_at_once, limits.max_over_time,"
        " limits.handover_days, coalesce(min(rules.description), '')"
        " from intermediate.int_identity_limits as limits"
        " left join seeds.identity_rules as rules"
        " on rules.identifier_type = limits.identifier_type"
        " and ('|' || rules.counted_by || '|') like ('%|' || limits.counted_type || '|%')"
        " where limits.identifier_type = ? group by all order by 1",
        [identifier.identifier_type],
    ).fetchall()
    records = _records_of(con, [identifier.key])
    out = []
    for counted_type, at_once, over_time, handover, description in rules:
        if counted_type == "first_name":
            names = sorted(
                {
                    row[0]
                    for row in con.execute(
                        "select first_name from intermediate.int_identity_records"
                        " where record_id in (select unnest(?)) and first_name is not null",
                        [[r.record_id for r in records]],
                    ).fetchall()
                }
            )
            values = [{"value": mask(name), "from": None, "until": None, "customer_id": None}
                      for name in names]  # fmt: skip
        else:
            keys = {k for r in records for k in r.identifiers if k[0] == counted_type}
            counted = sorted(
                (i for i in _by_keys(con, keys) if not i.is_junk),
                key=lambda i: (i.first_active_at or datetime.min, i.key),
            )
            values = [
                {"value": i.masked, "from": i.first_active_at, "until": i.last_seen_at,
                 "customer_id": i.customer_id}
                for i in counted
            ]  # fmt: skip
        if len(values) <= at_once:
            continue
        out.append(
            LimitEvidence(
                counted_type,
                at_once,
                over_time,
                handover,
                description,
                values[:top],
                max(0, len(values) - top),
            )  # fmt: skip
        )
    return out


def path(
    con, explanation: CustomerExplanation, start: tuple[str, str], end: tuple[str, str]
) -> list[tuple[str, str] | Record]:
    """The shortest chain identifier, record, identifier, ... from start to end through
    the customer's linking records (and an email's SHA-256, which links to it)."""
    members = {m.key for m in explanation.identifiers}
    links: dict[tuple[str, str], list[tuple[Record | str, tuple[str, str]]]] = {}
    for record in explanation.linking_records:
        on_it = [k for k in record.identifiers if k in members]
        for a in on_it:
            for b in on_it:
                if a != b:
                    links.setdefault(a, []).append((record, b))
    for email in (m for m in explanation.identifiers if m.identifier_type == "email"):
        digest = con.execute("select sha256(?)", [email.identifier_value]).fetchone()[0]
        if ("email_sha256", digest) in members:
            links.setdefault(email.key, []).append(("sha256", ("email_sha256", digest)))
            links.setdefault(("email_sha256", digest), []).append(("sha256", email.key))
    previous: dict[tuple[str, str], tuple[tuple[str, str], Record | str]] = {}
    queue, seen = deque([start]), {start}
    while queue:
        node = queue.popleft()
        if node == end:
            break
        for via, other in links.get(node, []):
            if other not in seen:
                seen.add(other)
                previous[other] = (node, via)
                queue.append(other)
    if end not in seen:
        return []
    chain: list[tuple[str, str] | Record] = [end]
    node = end
    while node != start:
        node, via = previous[node]
        chain[:0] = [node, via]
    return chain


def neighbourhood_copy(queries: list[str], target: str | None = None) -> Any:
    """For the postgres and spark targets: an in-memory DuckDB holding what explain reads
    about `queries` (customer ids or identifier values, as typed), not the whole graph
    (at 1M customers 10M records and 16M record identifiers). The customers they name or
    belong to; the identifiers of those customers and the values asked; every evidence
    record holding one of them; every identifier on those records (what `limits`
    counts, what `customer` finds held back); and the small tables whole. The engine
    selects them (nested subqueries, in SQL all three engines read); only the rows
    cross."""
    from orchestration.engines.reader import Native, local_copy

    ids = sorted({q.strip() for q in queries if CUSTOMER_ID.match(q.strip())})
    values = sorted({v for q in queries if not CUSTOMER_ID.match(q.strip()) for v in normalized(q)})
    native = Native(target)
    try:
        native.require(RELATIONS)
        ids = sorted({*ids, *owners(native.rows, values)})
        seeds, seed_params = _seed_nodes(values, ids)
        records = f"select record_id from {RECORD_NODES} where node_id in ({seeds})"
        hood = f"select node_id from {RECORD_NODES} where record_id in ({records})"
        in_ids = (f"customer_id in ({markers(ids)})", ids) if ids else ("1 = 0", [])
        rows = {
            RECORDS: (f"record_id in ({records})", seed_params),
            RECORD_NODES: (f"record_id in ({records})", seed_params),
            NODES: (f"node_id in ({hood}) or node_id in ({seeds})", seed_params * 2),
            "intermediate.int_identity_customer_ids": (
                f"node_id in ({hood}) or node_id in ({seeds})",
                seed_params * 2,
            ),
            IDENTIFIERS: (
                f"identifier_value in (select identifier_value from {NODES} where node_id in"
                f" ({hood})) or {in_ids[0]}",
                seed_params + in_ids[1],
            ),
            "marts.identity_merges": (
                f"surviving_customer_id in ({markers(ids)})" if ids else "1 = 0",
                ids,
            ),
        }
        return local_copy(RELATIONS, rows=rows, native=native)
    finally:
        native.close()


def owners(read: Read, values: list[str]) -> list[str]:
    """The customers owning any of `values` (normalized identifier values), asked with
    `read`. Shared and junk values belong to no one."""
    if not values:
        return []
    rows = read(
        f"select distinct customer_id from {IDENTIFIERS}"
        f" where identifier_value in ({markers(values)}) and customer_id is not null",
        values,
    )
    return sorted(row[0] for row in rows)


def markers(values: list) -> str:
    """One `?` per value, for an `in (...)` list."""
    return ", ".join("?" for _ in values)


def _seed_nodes(values: list[str], ids: list[str]) -> tuple[str, list]:
    """The node ids of the values asked and of the customers' identifiers: a subquery
    and its parameters."""
    parts, params = [], []
    if values:
        parts.append(f"select node_id from {NODES} where identifier_value in ({markers(values)})")
        params += values
    if ids:
        parts.append(
            f"select nodes.node_id from {NODES} as nodes inner join {IDENTIFIERS} as owned"
            " on nodes.identifier_type = owned.identifier_type"
            " and nodes.identifier_value = owned.identifier_value"
            f" where owned.customer_id in ({markers(ids)})"
        )
        params += ids
    return " union all ".join(parts) or f"select node_id from {NODES} where 1 = 0", params


# ---------------------------------------------------------------------------------------


def normalized(query: str) -> list[str]:
    """The query as staging would store it, plus the query as typed."""
    value = query.strip()
    out = [value]
    if "@" in value:
        out.append(value.lower())
    elif PHONE_LIKE.match(value):
        import phonenumbers

        for region in (None, _default_country()):
            try:
                number = phonenumbers.parse(value, region)
            except phonenumbers.NumberParseException:
                continue
            out.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return list(dict.fromkeys(out))


def _default_country() -> str:
    """dbt var chorus_default_country, as dbt_project.yml sets it."""
    import yaml

    from orchestration.settings import DBT_PROJECT_DIR

    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    return str(project.get("vars", {}).get("chorus_default_country", "US"))


def _identifiers(con, where: str, params: list, wanted: str = "") -> list[Identifier]:
    rows = con.execute(
        f"""
        {wanted}
        select w.identifier_type, w.identifier_value, w.customer_id, w.is_shared, w.is_junk,
               w.flag_reason, w.first_seen_at, n.first_active_at, w.last_seen_at,
               w.occurrences, coalesce(c.is_anchor, false)
        from {IDENTIFIERS} as w
        left join {NODES} as n
            on n.identifier_type = w.identifier_type and n.identifier_value = w.identifier_value
        left join intermediate.int_identity_customer_ids as c on c.node_id = n.node_id
        where {where}
        order by w.identifier_type, w.identifier_value
        """,
        params,
    ).fetchall()
    return [Identifier(*row) for row in rows]


WANTED = "with wanted as (select unnest(?) as identifier_type, unnest(?) as identifier_value)"


def _by_keys(con, keys) -> list[Identifier]:
    keys = sorted(keys)
    if not keys:
        return []
    return _identifiers(
        con,
        "(w.identifier_type, w.identifier_value) in (select * from wanted)",
        [[k[0] for k in keys], [k[1] for k in keys]],
        wanted=WANTED,
    )


def _records_of(con, keys: list[tuple[str, str]]) -> list[Record]:
    """The evidence records holding any of `keys` (type, value)."""
    if not keys:
        return []
    columns = ", ".join(TYPES)
    rows = con.execute(
        f"""
        {WANTED},
        nodes as (
            select n.node_id from {NODES} as n
            inner join wanted using (identifier_type, identifier_value)
        )
        select record_id, source_system, {columns}, first_seen_at, last_seen_at, row_count
        from {RECORDS}
        where record_id in (
            select record_id from {RECORD_NODES} where node_id in (select node_id from nodes)
        )
        order by first_seen_at, last_seen_at, source_system, {columns}, record_id
        """,
        [[k[0] for k in keys], [k[1] for k in keys]],
    ).fetchall()
    out = []
    for row in rows:
        values = row[2 : 2 + len(TYPES)]
        on_it = [(t, v) for t, v in zip(TYPES, values, strict=True) if v is not None]
        out.append(Record(row[0], row[1], on_it, row[-3], row[-2], row[-1]))
    return out
