"""What happened to each send: contact pressure and fatigue, opens, clicks, bounces,
replies, opt-outs and complaints, as provider events with consistent funnels (nothing
opened that was not delivered, no click before its open), plus the web and app visits
that clicks lead to.
"""

from __future__ import annotations

import numpy as np

from orchestration.contract import (
    AD_EVENT_TYPES,
    CHAT_EVENT_TYPES,
    EMAIL_EVENT_TYPES,
    PUSH_EVENT_TYPES,
    SMS_EVENT_TYPES,
)
from orchestration.sample_data import model
from orchestration.sample_data._core import DAY, HOUR, NEVER, Frame, Streams, Window, expand
from orchestration.sample_data.messaging import Messaging
from orchestration.sample_data.people import Population
from orchestration.sample_data.sessions import (
    APP,
    PAGE,
    WEB,
    app_frame,
    email_variant,
    web_frame,
)

EMAIL = {n: i for i, n in enumerate(EMAIL_EVENT_TYPES)}
SMS = {n: i for i, n in enumerate(SMS_EVENT_TYPES)}
PUSH = {n: i for i, n in enumerate(PUSH_EVENT_TYPES)}
CHAT = {n: i for i, n in enumerate(CHAT_EVENT_TYPES)}
AD = {n: i for i, n in enumerate(AD_EVENT_TYPES)}
CH = model.CH
SMS_BODIES = ("STOP", "YES", "Thanks!", "HELP", "Is the sale still on?", "ok", "Who is this?")
CHAT_TOPICS = ("product_help", "order_status", "returns", "delivery", "sizing", "billing",
               "promo_code")  # fmt: skip
URL_KINDS = ("landing", "unsubscribe")
# platform -> UTM index in sessions.UTM
PLATFORM_UTM = np.array([2, 3, 4], dtype=np.int8)


def email_frame(n: int = 0) -> Frame:
    return Frame(
        person=np.zeros(n, np.int64), ts=np.zeros(n, np.int64), event=np.zeros(n, np.int8),
        send=np.zeros(n, np.int64), campaign=np.zeros(n, np.int16),
        email=np.zeros(n, np.int64), email_variant=np.zeros(n, np.int8),
        url=np.full(n, -1, np.int8),
    )  # fmt: skip


def sms_frame(n: int = 0) -> Frame:
    return Frame(
        person=np.zeros(n, np.int64), ts=np.zeros(n, np.int64), event=np.zeros(n, np.int8),
        send=np.full(n, -1, np.int64), campaign=np.full(n, -1, np.int16),
        phone=np.full(n, -1, np.int64), phone_variant=np.zeros(n, np.int8),
        body=np.full(n, -1, np.int8),
    )  # fmt: skip


def push_frame(n: int = 0) -> Frame:
    return Frame(
        person=np.zeros(n, np.int64),
        ts=np.zeros(n, np.int64),
        event=np.zeros(n, np.int8),
        send=np.zeros(n, np.int64),
        campaign=np.zeros(n, np.int16),
        device=np.zeros(n, np.int64),
    )


def chat_frame(n: int = 0) -> Frame:
    return Frame(
        person=np.zeros(n, np.int64), ts=np.zeros(n, np.int64), event=np.zeros(n, np.int8),
        conversation=np.zeros(n, np.int64), anon=np.full(n, -1, np.int64),
        user=np.full(n, -1, np.int64), email=np.full(n, -1, np.int64),
        email_variant=np.zeros(n, np.int8), topic=np.zeros(n, np.int8),
        sentiment=np.full(n, np.nan, np.float32), complaint=np.full(n, -1, np.int8),
        campaign=np.full(n, -1, np.int16),
    )  # fmt: skip


def ad_frame(n: int = 0) -> Frame:
    return Frame(
        person=np.zeros(n, np.int64), ts=np.zeros(n, np.int64), event=np.zeros(n, np.int8),
        send=np.zeros(n, np.int64), campaign=np.zeros(n, np.int16),
        platform=np.zeros(n, np.int8), email=np.full(n, -1, np.int64),
        anon=np.full(n, -1, np.int64), cost=np.zeros(n, np.float64),
    )  # fmt: skip


class Funnels:
    def __init__(self, **frames: Frame) -> None:
        self.email: Frame = frames["email"]
        self.sms: Frame = frames["sms"]
        self.push: Frame = frames["push"]
        self.chat: Frame = frames["chat"]
        self.ads: Frame = frames["ads"]
        self.web: Frame = frames["web"]
        self.app: Frame = frames["app"]
        self.optout_via: dict[str, np.ndarray] = {}  # channel -> person mask (link / STOP)


def lookup(values: np.ndarray, index: np.ndarray, default) -> np.ndarray:
    """values[index] where index >= 0, else default."""
    out = np.full(len(index), default, dtype=values.dtype)
    ok = index >= 0
    out[ok] = values[index[ok]]
    return out


def contacts_7d(sends: Frame) -> np.ndarray:
    """Marketing contacts (email, sms, push, chat prompts) in [t - 7 days, t) per send."""
    counts = (sends["channel"] != CH["ads"]) & sends["marketing"]
    key = (sends["person"] << 34) + sends["ts"]
    ref = np.sort(key[counts])
    return (np.searchsorted(ref, key, "left") - np.searchsorted(ref, key - 7 * DAY, "left")).astype(
        np.int32
    )


def _engage_time(rng: np.random.Generator, pop: Population, window: Window, person, t0):
    """When a person gets to a message: soon, or at their next local peak hour."""
    n = len(person)
    quick = t0 + 60 + rng.exponential(25 * 60, n).astype(np.int64)
    at = np.clip((pop.peak_hour[person] + 0.5) * HOUR + rng.normal(0, 45 * 60, n), 0, DAY - 1)
    later = window.next_local_time(pop.tz[person], t0 + 1800, at.astype(np.int64))
    return np.where(rng.random(n) < 0.45, quick, later)


def run(
    pop: Population, m: Messaging, window: Window, streams: Streams, n_products: int
) -> Funnels:
    rng = streams("funnels")
    s = m.sends
    n = len(s)
    s["contacts_7d"] = contacts_7d(s)
    fatigue = model.fatigue_multiplier(s["contacts_7d"])
    base = pop.affinity[s["person"], s["channel"]]
    base = np.where(
        s["marketing"], base, np.minimum(0.95, base * model.TRANSACTIONAL_ENGAGEMENT_BOOST)
    )
    ch = s["channel"]
    fatigued = np.where(ch == CH["ads"], base, base * fatigue)  # ads CTR: not a contact
    s["p_engage"] = fatigued.astype(np.float32)
    converted = s["conv_order"] >= 0
    order_ts = lookup(m.orders["ts"], s["conv_order"], NEVER)

    deliver_ts = s["ts"] + rng.integers(2, 40, n)
    # when the person would engage: emails and pushes soon or at their next peak hour,
    # texts within minutes, chat prompts and ads within seconds
    natural = np.select(
        [ch == CH["sms"], np.isin(ch, [CH["chat"], CH["ads"]])],
        [deliver_ts + 20 + rng.exponential(8 * 60, n).astype(np.int64),
         deliver_ts + rng.integers(3, 60, n)],
        _engage_time(rng, pop, window, s["person"], deliver_ts),
    )  # fmt: skip
    engaged = s["delivered"] & (s["u_open"] < fatigued) & (natural < window.end - 600)
    # a converting touch took the path to the order: engaged, then clicked shortly before
    # it (a chat conversion instead clicks at once and returns later to buy)
    forced = converted & (ch != CH["chat"])
    click_conv = np.maximum(order_ts - 120 - rng.integers(0, 900, n), deliver_ts + 90)
    open_ts = np.where(forced, np.minimum(natural, click_conv - 30), natural)
    open_ts = np.maximum(open_ts, deliver_ts + 3)
    engaged |= converted
    cgo = pop.click_given_open[s["person"]]
    click_after_open = open_ts + 5 + rng.exponential(90, n).astype(np.int64)
    clicked_email = engaged & ((s["u_click"] < cgo) | converted)
    click_ts = np.where(ch == CH["email"], click_after_open, open_ts)
    click_ts = np.where(forced, np.maximum(click_conv, open_ts + 5), click_ts)
    clicked = np.where(ch == CH["email"], clicked_email, engaged) & (click_ts < window.end)
    s["opened"] = engaged & np.isin(ch, [CH["email"], CH["push"]])
    s["clicked"] = clicked & (ch != CH["push"])
    s["engaged_ts"] = open_ts
    s["click_ts"] = click_ts
    s["deliver_ts"] = deliver_ts

    web_parts, app_parts = [], []
    email_rows, email_via_link = _email_rows(rng, pop, window, s, web_parts)
    sms_rows, sms_via_stop = _sms_rows(rng, pop, window, s)
    f = Funnels(
        email=email_rows,
        sms=sms_rows,
        push=_push_rows(rng, s, app_parts, pop),
        chat=_chat_prompt_rows(rng, pop, s, m),
        ads=_ad_rows(rng, s),
        web=web_frame(),
        app=app_frame(),
    )
    web_parts.append(_click_sessions(rng, pop, s, m, n_products))
    f.web = Frame.concat(web_parts)
    f.app = Frame.concat(app_parts)
    f.optout_via = {"email": email_via_link, "sms": sms_via_stop}
    return f


def _latest_before(
    s: Frame, sel: np.ndarray, person: np.ndarray, when: np.ndarray, max_age: int
) -> np.ndarray:
    """Index (into s) of the latest selected send to `person` delivered before `when`."""
    idx = np.flatnonzero(sel)
    key = (s["person"][idx] << 34) + s["deliver_ts"][idx]
    order = np.argsort(key, kind="stable")
    idx, key = idx[order], key[order]
    pos = np.searchsorted(key, (person << 34) + when, "left") - 1
    ok = pos >= 0
    cand = idx[np.maximum(pos, 0)]
    ok &= (s["person"][cand] == person) & (when - s["deliver_ts"][cand] < max_age)
    return np.where(ok, cand, -1)


def _email_rows(
    rng, pop: Population, window: Window, s: Frame, web_parts: list
) -> tuple[Frame, np.ndarray]:
    """Provider events per email, and which persons unsubscribed through a link."""
    e = np.flatnonzero(s["channel"] == CH["email"])
    se = s.take(e)
    n = len(se)
    variant = np.where(rng.random(n) < 0.9, 0, 1).astype(np.int8)  # ESP list: mostly clean
    parts = []

    def rows(sel: np.ndarray, event: str, ts: np.ndarray, url: int = -1) -> None:
        r = email_frame(int(sel.sum()))
        r["person"][:] = se["person"][sel]
        r["ts"][:] = ts[sel]
        r["event"][:] = EMAIL[event]
        r["send"][:] = e[sel]
        r["campaign"][:] = se["campaign"][sel]
        r["email"][:] = se["target"][sel]
        r["email_variant"][:] = variant[sel]
        r["url"][:] = url
        parts.append(r)

    everything = np.ones(n, dtype=bool)
    rows(everything, "sent", se["ts"])
    rows(se["delivered"], "delivered", se["deliver_ts"])
    rows(~se["delivered"], "bounced", se["deliver_ts"])
    rows(se["opened"], "opened", se["engaged_ts"])
    rows(se["clicked"], "clicked", se["click_ts"], 0)

    # unsubscribes and complaints land on the latest delivered marketing email
    marketing_delivered = s["delivered"] & s["marketing"] & (s["channel"] == CH["email"])
    via_link = np.zeros(pop.n, dtype=bool)
    for event, latent in (
        ("unsubscribed", pop.optout_ts["email"]),
        ("complained", pop.complaint_ts),
    ):
        person = np.flatnonzero(latent < window.end)
        when = latent[person]
        cand = _latest_before(s, marketing_delivered, person, when, 30 * DAY)
        ok = cand >= 0
        r = email_frame(int(ok.sum()))
        r["person"][:] = person[ok]
        r["ts"][:] = when[ok]
        r["event"][:] = EMAIL[event]
        r["send"][:] = cand[ok]
        r["campaign"][:] = s["campaign"][cand[ok]]
        r["email"][:] = s["target"][cand[ok]]
        r["email_variant"][:] = 0
        r["url"][:] = 1 if event == "unsubscribed" else -1
        parts.append(r)
        if event == "unsubscribed":
            via_link[person[ok]] = True
            w = web_frame(int(ok.sum()))  # the unsubscribe link opens our page
            w["person"][:] = person[ok]
            w["ts"][:] = when[ok] - 8
            w["event"][:] = WEB["unsubscribe_page_view"]
            w["anon"][:] = pop.cookie_start[person[ok]]
            w["page"][:] = PAGE["unsubscribe"]
            w["utm"][:] = 0
            w["utm_campaign"][:] = s["campaign"][cand[ok]]
            web_parts.append(w)
    return Frame.concat(parts), via_link


def _sms_rows(rng, pop: Population, window: Window, s: Frame) -> tuple[Frame, np.ndarray]:
    """Provider events per text, and which persons opted out by replying STOP."""
    idx = np.flatnonzero(s["channel"] == CH["sms"])
    ss = s.take(idx)
    n = len(ss)
    variant = np.where(rng.random(n) < 0.95, 0, 1).astype(np.int8)
    parts = []

    def rows(sel, event, ts, body=-1):
        r = sms_frame(int(sel.sum()))
        r["person"][:] = ss["person"][sel]
        r["ts"][:] = ts[sel]
        r["event"][:] = SMS[event]
        r["send"][:] = idx[sel]
        r["campaign"][:] = ss["campaign"][sel]
        r["phone"][:] = ss["target"][sel]
        r["phone_variant"][:] = variant[sel]
        r["body"][:] = body if np.isscalar(body) else body[sel]
        parts.append(r)

    rows(np.ones(n, dtype=bool), "sent", ss["ts"])
    rows(ss["delivered"], "delivered", ss["deliver_ts"])
    rows(~ss["delivered"], "failed", ss["deliver_ts"])
    rows(ss["clicked"], "clicked", ss["click_ts"])
    chatter = ss["delivered"] & (rng.random(n) < 0.01)
    reply_ts = ss["deliver_ts"] + 30 + rng.exponential(600, n).astype(np.int64)
    chatter &= reply_ts < window.end
    rows(chatter, "replied", reply_ts, rng.integers(2, len(SMS_BODIES), n).astype(np.int8))

    # STOP: a reply to the latest delivered text, then the provider's opt-out
    person = np.flatnonzero(pop.optout_ts["sms"] < window.end)
    when = pop.optout_ts["sms"][person]
    delivered = s["delivered"] & (s["channel"] == CH["sms"])
    cand = _latest_before(s, delivered, person, when, 30 * DAY)
    ok = cand >= 0
    via_stop = np.zeros(pop.n, dtype=bool)
    via_stop[person[ok]] = True
    for event, delta, body in (("replied", 0, 0), ("opted_out", 2, -1)):
        r = sms_frame(int(ok.sum()))
        r["person"][:] = person[ok]
        r["ts"][:] = when[ok] + delta
        r["event"][:] = SMS[event]
        r["send"][:] = cand[ok]
        r["campaign"][:] = s["campaign"][cand[ok]]
        r["phone"][:] = s["target"][cand[ok]]
        r["body"][:] = body
        parts.append(r)
    # double opt-in of new sign-ups: they text YES
    new = np.flatnonzero(
        pop.consent_sms & (pop.created_ts >= window.start) & (pop.created_ts < window.end - 600)
    )
    for event, delta, body in (("replied", 180, 1), ("opted_in", 182, -1)):
        r = sms_frame(len(new))
        r["person"][:] = new
        r["ts"][:] = pop.created_ts[new] + delta
        r["phone"][:] = pop.phone_at(new, r["ts"])
        r["event"][:] = SMS[event]
        r["body"][:] = body
        parts.append(r)
    return Frame.concat(parts), via_stop


def _push_rows(rng, s: Frame, app_parts: list, pop: Population) -> Frame:
    idx = np.flatnonzero(s["channel"] == CH["push"])
    sp = s.take(idx)
    n = len(sp)
    parts = []

    def rows(sel, event, ts):
        r = push_frame(int(sel.sum()))
        r["person"][:] = sp["person"][sel]
        r["ts"][:] = ts[sel]
        r["event"][:] = PUSH[event]
        r["send"][:] = idx[sel]
        r["campaign"][:] = sp["campaign"][sel]
        r["device"][:] = sp["target"][sel]
        parts.append(r)

    rows(np.ones(n, dtype=bool), "sent", sp["ts"])
    rows(sp["delivered"], "delivered", sp["deliver_ts"])
    rows(sp["opened"], "opened", sp["engaged_ts"])
    dismissed = sp["delivered"] & ~sp["opened"] & (rng.random(n) < 0.6)
    dismiss_ts = sp["deliver_ts"] + rng.integers(60, 6 * HOUR, n)
    rows(dismissed & (dismiss_ts < s["ts"].max(initial=0) + DAY), "dismissed", dismiss_ts)

    # an opened push opens the app: push_opened, app_open, a product view, and for a
    # converting push the cart that leads to the in-app order
    o = np.flatnonzero(sp["opened"])
    conv = sp["conv_order"][o] >= 0
    k = 3 + conv.astype(np.int64)
    parent, rank = expand(k)
    a = app_frame(len(parent))
    oi = o[parent]
    a["person"][:] = sp["person"][oi]
    a["device"][:] = sp["target"][oi]
    a["ts"][:] = np.where(rank == 3, sp["click_ts"][oi] + 40, sp["engaged_ts"][oi] + rank * 3)
    a["user"][:] = np.where(pop.has_account_at(sp["person"][oi], a["ts"]), sp["person"][oi], -1)
    a["event"][:] = np.array([APP["push_opened"], APP["app_open"], APP["product_view"],
                              APP["add_to_cart"]])[rank]  # fmt: skip
    app_parts.append(a)
    return Frame.concat(parts)


def _chat_prompt_rows(rng, pop: Population, s: Frame, m: Messaging) -> Frame:
    idx = np.flatnonzero(s["channel"] == CH["chat"])
    sc = s.take(idx)
    n = len(sc)
    clicked = sc["clicked"]
    n_msgs = np.where(clicked, 2 + rng.integers(0, 4, n), 0)
    resolved = clicked & (rng.random(n) < 0.8)
    # prompt_shown, [prompt_clicked, started, message*k, resolved]
    k = 1 + clicked * 2 + n_msgs + resolved
    parent, rank = expand(k)
    c = chat_frame(len(parent))
    p = sc["person"][parent]
    c["person"][:] = p
    c["conversation"][:] = idx[parent]
    c["anon"][:] = sc["anon"][parent]
    c["user"][:] = np.where(sc["logged_in"][parent], p, -1)
    started_with_email = rng.random(n) < 0.4
    c["topic"][:] = 0
    ev = np.full(len(parent), CHAT["message"], dtype=np.int8)
    ev[rank == 0] = CHAT["prompt_shown"]
    ev[rank == 1] = CHAT["prompt_clicked"]
    ev[rank == 2] = CHAT["started"]
    last = rank == k[parent] - 1
    ev[last & resolved[parent] & (rank > 2)] = CHAT["resolved"]
    c["event"][:] = ev
    t0 = np.where(rank == 0, sc["ts"][parent], sc["click_ts"][parent])
    c["ts"][:] = t0 + np.maximum(rank - 1, 0) * 45
    c["email"][:] = np.where(
        (ev == CHAT["started"]) & started_with_email[parent], pop.email_at(p, c["ts"]), -1
    )
    c["email_variant"][:] = email_variant(rng, len(parent), 0.2)
    c["campaign"][:] = np.where(rank <= 1, sc["campaign"][parent], -1)
    mood = np.clip(rng.normal(0.35, 0.3, n), -1, 1)
    c["sentiment"][:] = np.where(ev == CHAT["message"],
                                 np.clip(mood[parent] + rng.normal(0, 0.15, len(parent)), -1, 1),
                                 np.nan)  # fmt: skip
    c["complaint"][:] = np.where(rank >= 2, 0, -1)
    return c


def _ad_rows(rng, s: Frame) -> Frame:
    idx = np.flatnonzero(s["channel"] == CH["ads"])
    sa = s.take(idx)
    n = len(sa)
    imp = ad_frame(n)
    imp["person"][:] = sa["person"]
    imp["ts"][:] = sa["ts"]
    imp["event"][:] = AD["impression"]
    imp["send"][:] = idx
    imp["campaign"][:] = sa["campaign"]
    imp["platform"][:] = sa["platform"]
    imp["email"][:] = sa["target"]
    imp["anon"][:] = sa["anon"]
    cpm = np.where(sa["platform"] == 1, 0.0, rng.lognormal(np.log(9.0), 0.35, n) / 1000)
    imp["cost"][:] = np.round(cpm, 4)
    clk = imp.take(np.flatnonzero(sa["clicked"]))
    clk["event"][:] = AD["click"]
    clk["ts"] = sa["click_ts"][sa["clicked"]]
    cpc = rng.lognormal(np.log(0.85), 0.4, len(clk))
    clk["cost"] = np.round(np.where(clk["platform"] == 1, cpc, 0.0), 4)
    return Frame.concat([imp, clk])


def _click_sessions(rng, pop: Population, s: Frame, m: Messaging, n_products: int) -> Frame:
    """Web visits after email/sms/ad clicks (UTM-tagged landing), and the checkout visit
    of every touch-driven web order (chat conversions return without UTM)."""
    web_click = s["clicked"] & np.isin(s["channel"], [CH["email"], CH["sms"], CH["ads"]])
    conv_web = (s["conv_order"] >= 0) & (s["channel"] != CH["push"])
    sel = np.flatnonzero(web_click | conv_web)
    n = len(sel)
    p = s["person"][sel]
    order = s["conv_order"][sel]
    conv = order >= 0
    cookie = np.where(conv, lookup(m.orders["cookie"], order, -1),
                      pop.cookie_start[p] + np.where(rng.random(n) < 0.7, 0, (
                          rng.random(n) * pop.n_cookies[p]).astype(np.int64)))  # fmt: skip
    logged = np.where(
        conv,
        lookup(m.orders["logged_in"], order, False),
        pop.has_account_at(p, s["click_ts"][sel])
        & pop.cookie_logs_in[cookie]
        & (rng.random(n) < 0.35),
    )
    # the ESP's click tracking tells the site who clicked: an identify carrying the email
    sel_ch = s["channel"][sel]
    by_email = (sel_ch == CH["email"]) & ~logged & (rng.random(n) < 0.5)
    n_views = 1 + rng.poisson(0.7, n)
    # [identify] landing product_view*k [add_to_cart checkout_started]
    counts = np.stack([(logged | by_email).astype(np.int64), np.ones(n, np.int64), n_views,
                       conv.astype(np.int64) * 2], axis=1)  # fmt: skip
    per = counts.sum(axis=1)
    parent, rank = expand(per)
    slot = np.repeat(np.tile(np.arange(4), n), counts.ravel())
    w = web_frame(len(parent))
    pp = p[parent]
    w["person"][:] = pp
    start = s["click_ts"][sel][parent] + 3
    w["ts"][:] = start + rank * 35
    order_ts = lookup(m.orders["ts"], order, NEVER)[parent]
    second_of_pair = np.zeros(len(slot), dtype=bool)  # checkout_started follows the cart
    second_of_pair[1:] = (slot[1:] == 3) & (slot[:-1] == 3)
    w["ts"][:] = np.where(slot == 3, np.where(second_of_pair, order_ts - 45, order_ts - 90),
                          w["ts"])  # fmt: skip
    w["event"][:] = np.array([WEB["identify"], WEB["page_view"], WEB["product_view"],
                              WEB["add_to_cart"]])[slot]  # fmt: skip
    w["event"][second_of_pair] = WEB["checkout_started"]
    w["anon"][:] = cookie[parent]
    w["user"][:] = np.where(logged[parent], pp, -1)
    w["email"][:] = np.where((slot == 0) & by_email[parent], s["target"][sel][parent], -1)
    product = lookup(m.orders["product"], order, -1)[parent]
    w["product"][:] = np.where(slot >= 2, product, -1)
    ch = s["channel"][sel][parent]
    utm = np.select(
        [ch == CH["email"], ch == CH["sms"]],
        [0, 1],
        PLATFORM_UTM[np.maximum(s["platform"][sel][parent], 0)],
    )
    is_chat_return = ch == CH["chat"]
    landing = slot == 1
    w["page"][:] = np.select(
        [slot == 0, landing, slot == 2, slot == 3],
        [PAGE["login"], PAGE["landing"], PAGE["product"], PAGE["cart"]],
    )
    w["page"][second_of_pair] = PAGE["checkout"]
    w["page_arg"][:] = np.where(landing, s["campaign"][sel][parent], w["product"])
    w["page"][landing & is_chat_return] = PAGE["home"]
    w["page_arg"][landing & is_chat_return] = -1
    tagged = landing & ~is_chat_return
    w["utm"][:] = np.where(tagged, utm, -1)
    w["utm_campaign"][:] = np.where(tagged, s["campaign"][sel][parent], -1)
    # browsing after the landing page
    browse = (slot == 2) & (w["product"] < 0)
    w["product"][browse] = rng.integers(0, n_products, int(browse.sum()))
    w["page_arg"][browse] = w["product"][browse]
    return w
