"""Organic behaviour: web and app sessions (page and product views, carts, checkouts,
logins, form sign-ups), the orders they lead to, in-store purchases, and the carts that
later trigger the abandonment journey.

Rows are numeric frames: web rows point at cookies/accounts/emails by reference (see
people.Population), pages and products by index; render.py turns them into text.
"""

from __future__ import annotations

import numpy as np

from orchestration.contract import APP_EVENT_TYPES, WEB_EVENT_TYPES
from orchestration.sample_data import model
from orchestration.sample_data._core import (
    DAY,
    HOUR,
    Frame,
    Streams,
    Window,
    expand,
    local_seconds_around,
    wrap_into,
)
from orchestration.sample_data.catalog import CATEGORIES, Catalog
from orchestration.sample_data.people import Population

WEB = {name: i for i, name in enumerate(WEB_EVENT_TYPES)}
APP = {name: i for i, name in enumerate(APP_EVENT_TYPES)}
# page kinds: render.py builds the URL path from (kind, argument)
PAGES = ("home", "category", "product", "cart", "checkout", "login", "newsletter",
         "unsubscribe", "landing", "signup")  # fmt: skip
PAGE = {name: i for i, name in enumerate(PAGES)}
# utm sources: (utm_source, utm_medium)
UTM = (("email", "email"), ("sms", "sms"), ("meta", "paid_social"), ("google", "cpc"),
       ("tiktok", "paid_social"), ("push", "push"))  # fmt: skip
SALES_CHANNELS = ("web", "app", "store")
EMAIL_VARIANTS = ("lower", "display", "display_padded", "upper", "lower_trailing", "lower_leading")


def web_frame(n: int = 0) -> Frame:
    return Frame(
        person=np.zeros(n, np.int64), ts=np.zeros(n, np.int64), event=np.zeros(n, np.int8),
        anon=np.full(n, -1, np.int64), user=np.full(n, -1, np.int64),
        email=np.full(n, -1, np.int64), email_variant=np.zeros(n, np.int8),
        product=np.full(n, -1, np.int32), page=np.zeros(n, np.int8),
        page_arg=np.full(n, -1, np.int32), utm=np.full(n, -1, np.int8),
        utm_campaign=np.full(n, -1, np.int16),
    )  # fmt: skip


def app_frame(n: int = 0) -> Frame:
    return Frame(
        person=np.zeros(n, np.int64),
        ts=np.zeros(n, np.int64),
        event=np.zeros(n, np.int8),
        device=np.full(n, -1, np.int64),
        user=np.full(n, -1, np.int64),
        product=np.full(n, -1, np.int32),
    )


def order_frame(n: int = 0) -> Frame:
    return Frame(
        person=np.zeros(n, np.int64), ts=np.zeros(n, np.int64),
        channel=np.zeros(n, np.int8), cookie=np.full(n, -1, np.int64),
        device=np.full(n, -1, np.int64), logged_in=np.zeros(n, bool),
        campaign=np.full(n, -1, np.int16), driver=np.full(n, -1, np.int8),
        product=np.full(n, -1, np.int32),
    )  # fmt: skip


def pick_products(rng: np.random.Generator, catalog: Catalog, category: np.ndarray):
    """A uniformly random product of each row's category."""
    order = np.argsort(catalog.category_idx, kind="stable")
    counts = np.bincount(catalog.category_idx, minlength=category.max(initial=0) + 1)
    starts = np.cumsum(counts) - counts
    k = (rng.random(len(category)) * counts[category]).astype(np.int64)
    return order[starts[category] + k].astype(np.int32)


def browse_category(rng: np.random.Generator, pop: Population, person: np.ndarray):
    """Mostly the person's favourite category, sometimes anything."""
    other = rng.integers(0, len(CATEGORIES), len(person))
    return np.where(rng.random(len(person)) < 0.65, pop.fav_category[person], other)


def email_variant(rng: np.random.Generator, n: int, messy: float = 0.3) -> np.ndarray:
    """How a typed email looks: mostly lower case; the rest capitalised, padded, upper."""
    p = np.array([1 - messy, messy * 0.5, messy * 0.2, messy * 0.1, messy * 0.1, messy * 0.1])
    return np.searchsorted(np.cumsum(p)[:-1], rng.random(n), "right").astype(np.int8)


def person_email(
    rng: np.random.Generator,
    pop: Population,
    person: np.ndarray,
    ts: np.ndarray,
    work_share: float = 0.15,
    family_share: float = 0.3,
) -> np.ndarray:
    """The email a person types somewhere at ts: primary (the new one after a change),
    sometimes work or the family one."""
    u = rng.random(len(person))
    ref = pop.email_at(person, ts)
    ref = np.where(pop.has_work[person] & (u < work_share), 2 * person + 1, ref)
    fam = pop.family[person]
    use_family = (fam >= 0) & (u > 1 - family_share)
    return np.where(use_family, pop.email_refs[0] + fam, ref)


class Organic:
    """Organic sessions and what came out of them."""

    def __init__(self, web: Frame, app: Frame, orders: Frame, carts: Frame, views: Frame) -> None:
        self.web = web
        self.app = app
        self.orders = orders
        self.carts = carts  # person, ts, logged_in: add_to_cart without an order
        self.views = views  # person, ts, category: product views (audiences)


def organic(pop: Population, catalog: Catalog, window: Window, streams: Streams) -> Organic:
    rng = streams("sessions")
    n_sessions = rng.poisson(pop.activity * window.days)
    person, _ = expand(n_sessions)
    s = len(person)
    day = rng.integers(0, window.days, s)
    local = local_seconds_around(rng, pop.peak_hour[person], 1.5, 0.35)
    start = wrap_into(
        window.local_to_utc(pop.tz[person], day, local), window.start, window.end - 2 * HOUR
    )

    in_app = (pop.n_devices[person] > 0) & (rng.random(s) < model.APP_SESSION_SHARE)
    cookie = pop.cookie_start[person] + np.floor(rng.random(s) ** 2 * pop.n_cookies[person]).astype(
        np.int64
    )
    device = pop.device_start[person] + (
        (pop.n_devices[person] > 1) & (rng.random(s) < 0.25)
    ).astype(np.int64)
    device = np.where(in_app, device, -1)
    cookie = np.where(in_app, -1, cookie)
    safe_cookie = np.maximum(cookie, 0)
    logged_in = pop.has_account_at(person, start) & np.where(
        in_app, rng.random(s) < 0.9, pop.cookie_logs_in[safe_cookie] & (rng.random(s) < 0.5)
    )
    n_pages = np.where(in_app, 0, 1 + rng.poisson(1.2, s))
    n_products = rng.poisson(model.PRODUCT_VIEWS_PER_SESSION, s)
    prop = np.clip(pop.buy_propensity[person], 0.05, 3.0)
    cart = (n_products > 0) & (
        rng.random(s) < np.clip(model.ORGANIC["p_add_to_cart_given_product_view"] * prop, 0, 0.9)
    )
    checkout = cart & (rng.random(s) < model.ORGANIC["p_checkout_given_cart"])
    ordered = checkout & (
        rng.random(s) < np.clip(model.ORGANIC["p_order_given_checkout"] * prop, 0, 0.95)
    )
    form = ~in_app & ~logged_in & (rng.random(s) < 0.08)
    category = browse_category(rng, pop, person)
    product = pick_products(rng, catalog, category)

    # one row per event, in session order:
    # [identify] page_view*k [form_submit] product_view*m [add_to_cart] [checkout_started]
    n_ident = (logged_in & ~in_app).astype(np.int64)
    n_open = in_app.astype(np.int64)
    counts = np.stack(
        [n_ident, n_open, n_pages, form.astype(np.int64), n_products, cart, checkout & ~in_app],
        axis=1,
    ).astype(np.int64)
    # event type per slot (-1: the slot never occurs on that platform)
    kinds = np.array(
        [WEB["identify"], -1, WEB["page_view"], WEB["form_submit"], WEB["product_view"],
         WEB["add_to_cart"], WEB["checkout_started"]]
    )  # fmt: skip
    app_kinds = np.array([-1, APP["app_open"], -1, -1, APP["product_view"], APP["add_to_cart"], -1])
    per_session = counts.sum(axis=1)
    sess, rank = expand(per_session)
    slot = np.repeat(np.tile(np.arange(7), s), counts.ravel())
    gaps = (15 + rng.exponential(50.0, len(sess))).astype(np.int64)
    gaps[rank == 0] = 0
    ts = start[sess] + _cumsum_by(gaps, per_session)
    end_of_session = start + _sum_by(gaps, per_session, s)
    sess_person = person[sess]

    web_rows = ~in_app[sess]
    w = web_frame(int(web_rows.sum()))
    ws = sess[web_rows]
    wslot = slot[web_rows]
    w["person"][:] = sess_person[web_rows]
    w["ts"][:] = ts[web_rows]
    w["event"][:] = kinds[wslot]
    w["anon"][:] = cookie[ws]
    # an SDK bug: before the cookie is set, logged-in pages send "undefined" (or "null")
    sdk_bug = np.flatnonzero(logged_in[ws] & (rng.random(len(ws)) < 0.002))
    w["anon"][sdk_bug] = pop.n_cookies_total + rng.integers(0, 2, len(sdk_bug))
    w["user"][:] = np.where(logged_in[ws], person[ws], -1)
    is_form = wslot == 3
    is_ident = wslot == 0
    login_email = is_ident & (rng.random(len(ws)) < 0.3)
    has_email = np.flatnonzero(is_form | login_email)
    w["email"][has_email] = person_email(rng, pop, person[ws[has_email]], w["ts"][has_email])
    w["email_variant"][has_email] = email_variant(rng, len(has_email))
    w["product"][:] = np.where(wslot >= 4, product[ws], -1)
    w["page"][:] = np.select(
        [wslot == 0, wslot == 2, wslot == 3, wslot == 4, wslot == 5, wslot == 6],
        [PAGE["login"], PAGE["category"], PAGE["newsletter"], PAGE["product"], PAGE["cart"],
         PAGE["checkout"]], PAGE["home"],
    )  # fmt: skip
    first_page = (wslot == 2) & (rank[web_rows] == n_ident[ws])
    w["page"][first_page] = PAGE["home"]
    w["page_arg"][:] = np.where(w["page"] == PAGE["category"], category[ws], w["product"])

    app_rows = in_app[sess]
    a = app_frame(int(app_rows.sum()))
    sa = sess[app_rows]
    a["person"][:] = sess_person[app_rows]
    a["ts"][:] = ts[app_rows]
    a["event"][:] = app_kinds[slot[app_rows]]
    a["device"][:] = device[sa]
    a["user"][:] = np.where(logged_in[sa], person[sa], -1)
    a["product"][:] = np.where(slot[app_rows] >= 4, product[sa], -1)
    # app checkouts happen in-app: no checkout_started event type exists for the app
    assert (a["event"] >= 0).all()

    o_idx = np.flatnonzero(ordered)
    orders = order_frame(len(o_idx))
    orders["person"][:] = person[o_idx]
    orders["ts"][:] = end_of_session[o_idx] + rng.integers(30, 180, len(o_idx))
    orders["channel"][:] = np.where(in_app[o_idx], 1, 0)
    orders["cookie"][:] = cookie[o_idx]
    orders["device"][:] = device[o_idx]
    orders["logged_in"][:] = logged_in[o_idx]
    orders["product"][:] = product[o_idx]
    orders = Frame.concat([orders, _store_orders(pop, catalog, window, streams)])
    orders = orders.take(np.flatnonzero(orders["ts"] < window.end))

    # carts the (siloed) cart tool can act on: a known, logged-in visitor who left
    c_idx = np.flatnonzero(cart & ~ordered & logged_in)
    carts = Frame(person=person[c_idx], ts=end_of_session[c_idx], product=product[c_idx])
    carts = _dedupe_within(carts.sorted_by("person", "ts"), 3 * DAY)

    v_idx = np.flatnonzero(n_products > 0)
    views = Frame(
        person=person[v_idx],
        ts=start[v_idx],
        category=category[v_idx],
        cookie=cookie[v_idx],
        logged_in=logged_in[v_idx],
        in_app=in_app[v_idx],
    )
    views = views.sorted_by("person", "ts")

    web = Frame.concat([w, _signup_rows(pop, window, streams)])
    return Organic(web=web, app=a, orders=orders, carts=carts, views=views)


def _signup_rows(pop: Population, window: Window, streams: Streams) -> Frame:
    """New sign-ups submit the sign-up form on their first browser (and log in); so do
    the guest shoppers who register an account inside the window."""
    rng = streams("signups")
    signups = np.flatnonzero(pop.created_ts >= window.start)
    registers = np.flatnonzero(pop.has_user & (pop.account_ts > window.start))
    person = np.concatenate([signups, registers])
    n = len(person)
    form = web_frame(n)
    form["person"][:] = person
    form["ts"][:] = np.concatenate([pop.created_ts[signups], pop.account_ts[registers]])
    form["event"][:] = WEB["form_submit"]
    form["anon"][:] = pop.cookie_start[person]
    form["email"][:] = pop.email_at(person, form["ts"])
    form["email_variant"][:] = email_variant(rng, n)
    form["page"][:] = PAGE["signup"]
    ident = form.take(np.flatnonzero(pop.has_user[person]))
    ident["ts"] = ident["ts"] + 20
    ident["event"][:] = WEB["identify"]
    ident["user"] = ident["person"].copy()
    ident["email"][:] = -1
    ident["page"][:] = PAGE["login"]
    out = Frame.concat([form, ident])
    return out.take(np.flatnonzero(out["ts"] < window.end))


def _store_orders(pop: Population, catalog: Catalog, window: Window, streams: Streams):
    rng = streams("store")
    shoppers = np.flatnonzero(pop.store_shopper)
    k = rng.poisson(
        model.ORGANIC["store_orders_per_day_per_store_shopper"] * window.days, len(shoppers)
    )
    person = np.repeat(shoppers, k)
    n = len(person)
    day = rng.integers(0, window.days, n)
    local = rng.integers(10 * HOUR, 19 * HOUR, n)
    ts = wrap_into(window.local_to_utc(pop.tz[person], day, local), window.start, window.end - HOUR)
    o = order_frame(n)
    o["person"][:] = person
    o["ts"][:] = ts
    o["channel"][:] = 2
    # the shop tablet is used for a loyalty lookup in about half of the visits
    tablet = pop.n_devices_total + pop.home_tablet[person]
    o["device"][:] = np.where(rng.random(n) < 0.5, tablet, -1)
    o["logged_in"][:] = pop.has_account_at(person, ts) & (rng.random(n) < 0.45)
    o["product"][:] = pick_products(rng, catalog, browse_category(rng, pop, person))
    return o


def _cumsum_by(values: np.ndarray, group_sizes: np.ndarray) -> np.ndarray:
    """Running sum of values restarting at each group (groups contiguous)."""
    total = np.cumsum(values)
    starts = np.cumsum(group_sizes) - group_sizes
    before = np.where(starts > 0, total[np.maximum(starts - 1, 0)], 0)
    return total - np.repeat(before, group_sizes)


def _sum_by(values: np.ndarray, group_sizes: np.ndarray, n_groups: int) -> np.ndarray:
    group = np.repeat(np.arange(n_groups), group_sizes)
    return np.bincount(group, weights=values, minlength=n_groups).astype(np.int64)


def _dedupe_within(frame: Frame, seconds: int) -> Frame:
    """Keep a row only if the same person's previous kept row is >= `seconds` earlier.

    Approximated by comparing with the previous row (sorted by person, ts): the cart tool
    ignores a new cart while a recent one exists.
    """
    if len(frame) == 0:
        return frame
    keep = np.ones(len(frame), dtype=bool)
    same = frame["person"][1:] == frame["person"][:-1]
    keep[1:] = ~same | (frame["ts"][1:] - frame["ts"][:-1] >= seconds)
    return frame.take(np.flatnonzero(keep))
