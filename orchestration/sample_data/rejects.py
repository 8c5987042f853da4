"""Deliberately bad input, always as ADDITIONAL rows (a good row is never corrupted, so
good data stays internally consistent): per table a handful of copies of good rows with
exactly one defect each, counted per contract.REJECT_REASONS code for expected_rejects.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from orchestration.contract import REJECT_REASONS, TABLES
from orchestration.sample_data._core import Frame

RATE = 0.0001  # per reason: 0.01% of a table's rows, at least one row
BAD_TIMESTAMPS = (
    "2026-02-30T10:00:00Z",
    "not a date",
    "31/10/2026 25:61",
    "2026-13-01T00:00:00Z",
    "yesterday",
    "2026-10-32 08:00:00",
)

# table -> (has an event-time column that can be garbled, enum column, range column)
SPECS: dict[str, tuple[bool, str | None, str | None]] = {
    "crm_contacts": (True, None, None),
    "web_events": (True, "event", None),
    "app_events": (True, "event", None),
    "orders": (True, "status", "total_cents"),
    "order_items": (False, None, "quantity"),
    "products": (False, None, "price_cents"),
    "email_events": (True, "event", None),
    "sms_events": (True, "event", None),
    "push_events": (True, "event", None),
    "chat_events": (True, "event", "sentiment"),
    "ad_events": (True, "event", "cost"),
    "support_tickets": (True, None, "csat"),
    "consent_events": (True, "channel", None),
}


def inject(
    table: str, frame: Frame, rng: np.random.Generator, new_key: Callable[[Frame, int], None]
) -> tuple[Frame, dict[str, int]]:
    """Bad rows for `frame` (to append after it); returns (bad rows, {reason: count}).

    `frame` gains the all-clear columns key_missing and bad_ts. new_key(rows, k) gives k
    copied rows fresh keys (unique, unused by good rows) where a copy must not collide
    with a good key.
    """
    has_time, enum_col, range_col = SPECS[table]
    n = len(frame)
    k = max(1, round(n * RATE))
    frame["key_missing"] = np.zeros(n, np.int8)  # 1: null key, 2: blank key
    frame["bad_ts"] = np.full(n, -1, np.int8)  # index into BAD_TIMESTAMPS
    parts, counts = [], {}
    if n == 0:  # nothing to copy a defect into (a tiny sample without tickets, say)
        return frame.take(np.arange(0)), counts

    def copies(reason: str, fresh_key: bool) -> Frame:
        pool = np.arange(n)
        if range_col == "sentiment" and reason == "out_of_range":
            messages = np.flatnonzero(~np.isnan(frame["sentiment"]))
            pool = messages if len(messages) else pool
        c = frame.take(pool[rng.integers(0, len(pool), k)])
        if fresh_key:
            new_key(c, k)
        counts[reason] = k
        parts.append(c)
        return c

    if has_time:
        c = copies("invalid_type", True)
        c["bad_ts"][:] = rng.integers(0, len(BAD_TIMESTAMPS), k)
    c = copies("missing_value", True)
    c["key_missing"][:] = rng.integers(1, 3, k)
    if enum_col:
        c = copies("unknown_value", True)
        c[enum_col][:] = _enum_size(table) + rng.integers(0, 3, k)
    if range_col:
        c = copies("out_of_range", True)
        col = c[range_col]
        bad = {
            "total_cents": lambda: -np.abs(col) - 100,
            "quantity": lambda: -rng.integers(1, 4, k),
            "price_cents": lambda: -np.abs(col),
            "sentiment": lambda: np.where(rng.random(k) < 0.5, 1.8, -2.5),
            "cost": lambda: -np.round(rng.uniform(0.01, 2.0, k), 4),
            "csat": lambda: rng.choice([0, 6, 9], k),
        }[range_col]()
        c[range_col][:] = bad
    copies("duplicate_key", False)
    assert set(counts) <= set(REJECT_REASONS)
    return Frame.concat(parts), counts


def _enum_size(table: str) -> int:
    from orchestration.contract import (
        AD_EVENT_TYPES,
        APP_EVENT_TYPES,
        CHAT_EVENT_TYPES,
        CONSENT_CHANNELS,
        EMAIL_EVENT_TYPES,
        ORDER_STATUSES,
        PUSH_EVENT_TYPES,
        SMS_EVENT_TYPES,
        WEB_EVENT_TYPES,
    )

    return len({
        "web_events": WEB_EVENT_TYPES, "app_events": APP_EVENT_TYPES,
        "orders": ORDER_STATUSES, "email_events": EMAIL_EVENT_TYPES,
        "sms_events": SMS_EVENT_TYPES, "push_events": PUSH_EVENT_TYPES,
        "chat_events": CHAT_EVENT_TYPES, "ad_events": AD_EVENT_TYPES,
        "consent_events": CONSENT_CHANNELS,
    }[table])  # fmt: skip


def append_malformed_lines(path: Path, table: str) -> int:
    """Two CSV lines with the wrong number of fields (one short, one long)."""
    width = len(TABLES[table].columns)
    short = ",".join(["malformed"] * max(1, width - 3))
    long = ",".join(["malformed"] * (width + 2))
    with path.open("a", encoding="utf-8", newline="") as handle:
        handle.write(short + "\n" + long + "\n")
    return 2
