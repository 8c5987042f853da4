"""Orders as the shop exports them (identifiers per sales channel, statuses, lines with
prices consistent with the total), support tickets with CSAT, and support chats with
sentiment and complaints.

One currency (USD) for every order: the sample store sells cross-border in dollars, so
revenue and LTV need no FX table (DECISIONS.md).
"""

from __future__ import annotations

import numpy as np

from orchestration.sample_data import model
from orchestration.sample_data._core import DAY, HOUR, Frame, Streams, Window, expand
from orchestration.sample_data.catalog import CAMPAIGNS, Catalog
from orchestration.sample_data.funnels import CHAT, CHAT_TOPICS, chat_frame
from orchestration.sample_data.people import (
    COUNTRY_CODES,
    INTL_00,
    JUNK_ANONYMOUS_IDS,
    JUNK_DEVICE_IDS,
    JUNK_EMAILS,
    JUNK_PHONES,
    JUNK_USER_IDS,
    PHONE_INTERNATIONAL_VARIANTS,
    PHONE_SHAPES,
    Population,
    dials_00,
)
from orchestration.sample_data.sessions import email_variant, person_email

CURRENCY = "USD"
SHAPE_DIALS_00 = np.array([dials_00(shape[0]) for shape in PHONE_SHAPES])
TICKET_CATEGORIES = ("delivery", "returns", "product_quality", "billing", "account")


def phone_variant(
    rng: np.random.Generator, pop: Population, person: np.ndarray, national_ok: np.ndarray | bool
) -> np.ndarray:
    """How a phone is typed: national forms only where the reader knows the country."""
    n = len(person)
    shape = pop.phone_shape[person]
    nanp = shape <= 1
    w_nanp = np.array([0.10, 0.15, 0.35, 0.0, 0.15, 0.15, 0.10])
    w_other = np.array([0.10, 0.25, 0.35, 0.10, 0.0, 0.10, 0.10])
    u = rng.random(n)
    v = np.where(
        nanp,
        np.searchsorted(np.cumsum(w_nanp) / w_nanp.sum(), u, "right"),
        np.searchsorted(np.cumsum(w_other) / w_other.sum(), u, "right"),
    )
    intl = np.asarray(PHONE_INTERNATIONAL_VARIANTS)[rng.integers(0, 4, n)]
    national_ok = np.broadcast_to(np.asarray(national_ok), (n,))
    v = np.where(national_ok, v, intl)
    # '00 61 ...' is not how anyone in a 0011/011 country writes a number
    return np.where((v == INTL_00) & ~SHAPE_DIALS_00[shape], 5, v).astype(np.int8)


def order_rows(pop: Population, orders: Frame, window: Window, streams: Streams) -> Frame:
    """Identifier columns of each order, by sales channel (web, app, store)."""
    rng = streams("order_identifiers")
    n = len(orders)
    p = orders["person"]
    ch = orders["channel"]
    store = ch == 2
    o = Frame(orders)
    n_users = pop.n
    user = np.where(orders["logged_in"], p, -1)
    # a checkout bug sends "undefined" / "null" / "0" as the guest's user id
    guest_bug = (ch == 0) & (user < 0) & (rng.random(n) < 0.03)
    user = np.where(guest_bug, n_users + rng.integers(0, len(JUNK_USER_IDS), n), user)
    o["user"] = user

    has_email = ~store | (rng.random(n) < 0.6)
    email = np.where(has_email, person_email(rng, pop, p, orders["ts"], 0.08, 0.25), -1)
    _, junk0, _ = pop.email_refs
    junk_email = rng.random(n) < np.where(store, 0.01, 0.002)
    # web checkouts in testing leave test@test.com; cashiers type noemail@noemail.com
    email = np.where(
        junk_email,
        junk0
        + np.where(
            store, JUNK_EMAILS.index("noemail@noemail.com"), JUNK_EMAILS.index("test@test.com")
        ),
        email,
    )
    o["email"] = email
    o["email_variant"] = email_variant(rng, n, 0.35)

    has_phone = pop.has_phone[p] & (rng.random(n) < np.where(store, 0.5, 0.55))
    # the number in use; for a few days after a change some still type the old one
    since_change = orders["ts"] - pop.phone_change_ts[p]
    habit = (
        (since_change >= 0)
        & (since_change < model.OLD_PHONE_HABIT_DAYS * DAY)
        & (rng.random(n) < model.OLD_PHONE_HABIT_SHARE)
    )
    phone = np.where(has_phone, np.where(habit, p, pop.phone_at(p, orders["ts"])), -1)
    junk_phone = store & (rng.random(n) < 0.01)
    phone = np.where(junk_phone, pop.phone_junk_start + JUNK_PHONES.index("0000000000"), phone)
    o["phone"] = phone
    us = pop.country[p] == COUNTRY_CODES.index("US")  # the default country reads these
    o["phone_variant"] = phone_variant(rng, pop, p, us)

    anon = np.where(ch == 0, orders["cookie"], -1)
    blocked = (ch == 0) & (rng.random(n) < 0.004)  # tracking blocked: the SDK default
    junk_anon = pop.n_cookies_total + rng.integers(0, len(JUNK_ANONYMOUS_IDS), n)
    o["anon"] = np.where(blocked, junk_anon, anon)
    device = orders["device"].copy()
    missing = (ch == 1) & (rng.random(n) < 0.004)
    n_dev_refs = pop.n_devices_total + pop.n_tablets
    o["device"] = np.where(missing, n_dev_refs + rng.integers(0, len(JUNK_DEVICE_IDS), n), device)
    return o


def order_items(catalog: Catalog, orders: Frame, streams: Streams) -> Frame:
    """Lines per order; unit prices carry the driving campaign's discount."""
    rng = streams("order_items")
    n = len(orders)
    lines = 1 + np.minimum(rng.poisson(0.5, n), 4)
    parent, rank = expand(lines)
    m = len(parent)
    cat = catalog.category_idx[orders["product"][parent]]
    same_cat = rng.random(m) < 0.5
    order_by_cat = np.argsort(catalog.category_idx, kind="stable")
    counts = np.bincount(catalog.category_idx)
    starts = np.cumsum(counts) - counts
    in_cat = order_by_cat[starts[cat] + (rng.random(m) * counts[cat]).astype(np.int64)]
    anything = rng.integers(0, len(catalog.product_id), m)
    product = np.where(rank == 0, orders["product"][parent], np.where(same_cat, in_cat, anything))
    qty = rng.choice([1, 2, 3], m, p=[0.8, 0.15, 0.05])
    discount = np.array([c.discount_pct or 0 for c in CAMPAIGNS] + [0])
    camp = orders["campaign"][parent]
    pct = discount[np.where(camp >= 0, camp, len(CAMPAIGNS))]
    unit = np.round(catalog.price_cents[product] * (100 - pct) / 100).astype(np.int64)
    items = Frame(
        order=orders["order_id"][parent],
        line=(rank + 1).astype(np.int32),
        product=product.astype(np.int32),
        quantity=qty.astype(np.int32),
        unit_cents=unit,
    )
    total = np.bincount(parent, weights=qty * unit, minlength=n).astype(np.int64)
    orders["total_cents"] = total
    return items


def tickets(pop: Population, orders: Frame, window: Window, streams: Streams) -> Frame:
    rng = streams("tickets")
    n_o = len(orders)
    refunded = orders["status"] == 1
    about_order = rng.random(n_o) < np.where(refunded, 0.4, 0.06)
    oi = np.flatnonzero(about_order)
    opened_o = orders["ts"][oi] + rng.integers(HOUR, 10 * DAY, len(oi))
    cat_o = np.where(refunded[oi], 1, rng.choice([0, 2, 3], len(oi), p=[0.5, 0.3, 0.2]))
    other = np.flatnonzero(rng.random(pop.n) < 0.012 * window.days / 90)
    opened_x = np.maximum(pop.created_ts[other], window.start) + (
        rng.random(len(other)) * (window.end - np.maximum(pop.created_ts[other], window.start))
    ).astype(np.int64)
    cat_x = rng.choice([3, 4], len(other))
    t = Frame(
        person=np.concatenate([orders["person"][oi], other]),
        opened=np.concatenate([opened_o, opened_x]),
        category=np.concatenate([cat_o, cat_x]).astype(np.int8),
    )
    t = t.take(np.flatnonzero(t["opened"] < window.end)).sorted_by("opened", "person")
    n = len(t)
    p = t["person"]
    complaint = rng.random(n) < np.where(np.isin(t["category"], [1, 2]), 0.35, 0.2)
    resolved_at = t["opened"] + (rng.lognormal(np.log(20 * HOUR), 0.9, n)).astype(np.int64)
    resolved = (rng.random(n) < 0.92) & (resolved_at < window.end)
    rated = resolved & (rng.random(n) < 0.75)
    csat = np.where(
        complaint,
        rng.choice([1, 2, 3], n, p=[0.5, 0.35, 0.15]),
        rng.choice([3, 4, 5], n, p=[0.15, 0.35, 0.5]),
    )
    t["complaint"] = complaint
    t["resolved"] = np.where(resolved, resolved_at, -1)
    t["csat"] = np.where(rated, csat, -1).astype(np.int8)
    with_user = pop.has_account_at(p, t["opened"]) & (rng.random(n) < 0.75)
    t["user"] = np.where(with_user, p, -1)
    t["email"] = np.where(~with_user | (rng.random(n) < 0.9),
                          person_email(rng, pop, p, t["opened"], 0.1), -1)  # fmt: skip
    t["email_variant"] = email_variant(rng, n, 0.3)
    t["ticket_no"] = np.arange(n, dtype=np.int64)
    return t


def support_chats(
    pop: Population, orders: Frame, window: Window, streams: Streams, first_id: int
) -> Frame:
    """Customer-initiated chats: order questions, returns, sizing; some are complaints."""
    rng = streams("support_chats")
    refunded = orders["status"] == 1
    oi = np.flatnonzero(rng.random(len(orders)) < np.where(refunded, 0.2, 0.05))
    other = np.flatnonzero(rng.random(pop.n) < 0.015 * window.days / 90)
    person = np.concatenate([orders["person"][oi], other])
    start = np.concatenate(
        [
            orders["ts"][oi] + rng.integers(2 * HOUR, 5 * DAY, len(oi)),
            window.start + rng.integers(0, window.days * DAY, len(other)),
        ]
    )
    topic = np.concatenate([
        np.where(refunded[oi], CHAT_TOPICS.index("returns"),
                 rng.choice([1, 3], len(oi))),
        rng.choice([0, 4, 5, 6], len(other)),
    ]).astype(np.int8)  # fmt: skip
    angry_p = np.concatenate([np.where(refunded[oi], 0.5, 0.2), np.full(len(other), 0.1)])
    keep = (start < window.end - HOUR) & (start >= pop.created_ts[person])
    person, start, topic, angry_p = person[keep], start[keep], topic[keep], angry_p[keep]
    n = len(person)
    complaint = rng.random(n) < angry_p
    mood = np.where(complaint, rng.normal(-0.55, 0.25, n), rng.normal(0.3, 0.3, n))
    n_msgs = 2 + rng.integers(0, 5, n)
    resolved = rng.random(n) < 0.85
    k = 1 + n_msgs + resolved
    parent, rank = expand(k)
    c = chat_frame(len(parent))
    p = person[parent]
    c["person"][:] = p
    c["conversation"][:] = first_id + parent
    c["ts"][:] = start[parent] + rank * (30 + rng.integers(0, 90, len(parent)))
    ev = np.full(len(parent), CHAT["message"], dtype=np.int8)
    ev[rank == 0] = CHAT["started"]
    ev[(rank == k[parent] - 1) & resolved[parent]] = CHAT["resolved"]
    c["event"][:] = ev
    # who the chat widget knows: the browser, the account if logged in, an email if asked
    anon_known = rng.random(n) < 0.6
    user_known = pop.has_account_at(person, start) & (rng.random(n) < 0.5)
    email_known = ~(anon_known | user_known) | (rng.random(n) < 0.4)
    cookie = pop.cookie_start[person]
    c["anon"][:] = np.where(anon_known[parent], cookie[parent], -1)
    c["user"][:] = np.where(user_known[parent], p, -1)
    c["email"][:] = np.where(email_known[parent] & (rank == 0), pop.email_at(p, c["ts"]), -1)
    c["email_variant"][:] = email_variant(rng, len(parent), 0.3)
    c["topic"][:] = topic[parent]
    c["sentiment"][:] = np.where(
        ev == CHAT["message"],
        np.clip(mood[parent] + rng.normal(0, 0.15, len(parent)), -1, 1),
        np.nan,
    )
    c["complaint"][:] = complaint[parent].astype(np.int8)
    return c.take(np.flatnonzero(c["ts"] < window.end))
