"""Outbound marketing as the pre-Chorus, siloed tools did it: broadcast drops per channel,
journeys (welcome, cart abandonment, winback, post-purchase), paid-media impressions and
on-site chat prompts; and the purchases those touches cause.

The set of sends never depends on engagement (opens, clicks), only on audiences,
consent, latent opt-out times and orders, so contact pressure and its fatigue effect can
be computed exactly afterwards (funnels.py). Journeys run in stages: each stage's
delivered touches convert with the known per-channel lift, the new orders start
post-purchase journeys, and the next journey steps check exits against the orders known
so far (the siloed tool syncs orders in batches; DECISIONS.md).
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime

import numpy as np

from orchestration.sample_data import model
from orchestration.sample_data._core import (
    DAY,
    HOUR,
    NEVER,
    Frame,
    Streams,
    Window,
    expand,
)
from orchestration.sample_data.catalog import (
    CAMPAIGN_INDEX,
    CAMPAIGNS,
    CATEGORY_NAMES,
    JOURNEYS,
    Catalog,
    campaign_window,
)
from orchestration.sample_data.people import Population
from orchestration.sample_data.sessions import (
    Organic,
    browse_category,
    order_frame,
    person_email,
    pick_products,
)

CH = model.CH
JOURNEY_IDS = tuple(JOURNEYS)
ORDER_STATUSES_P = (0.91, 0.06, 0.03)  # completed, refunded, cancelled
PLATFORMS = ("meta", "google", "tiktok")


def send_frame(n: int = 0) -> Frame:
    return Frame(
        person=np.zeros(n, np.int64), ts=np.zeros(n, np.int64), channel=np.zeros(n, np.int8),
        campaign=np.zeros(n, np.int16), journey=np.full(n, -1, np.int8),
        step=np.full(n, -1, np.int8), marketing=np.ones(n, bool),
        order=np.full(n, -1, np.int64), target=np.full(n, -1, np.int64),
        anon=np.full(n, -1, np.int64), platform=np.full(n, -1, np.int8),
        logged_in=np.zeros(n, bool), stage=np.zeros(n, np.int8),
        u_deliver=np.zeros(n, np.float32), u_convert=np.zeros(n, np.float32),
        u_open=np.zeros(n, np.float32), u_click=np.zeros(n, np.float32),
    )  # fmt: skip


class Messaging:
    def __init__(self, sends: Frame, orders: Frame) -> None:
        self.sends = sends  # every send/impression/prompt, with delivered & converted
        self.orders = orders  # every order (organic and touch-driven), status assigned


# ---------------------------------------------------------------------------------------
# eligibility: consent, identifiers and latent opt-outs at send time


def eligible(
    pop: Population, person: np.ndarray, channel: int, ts: np.ndarray, marketing: np.ndarray | bool
) -> np.ndarray:
    marketing = np.broadcast_to(np.asarray(marketing), person.shape)
    not_all_out = ~marketing | (ts < pop.optout_ts["all"][person])
    if channel == CH["email"]:
        ok = (~marketing | pop.consent_email[person]) & not_all_out
        ok &= ~marketing | ((ts < pop.optout_ts["email"][person]) & (ts < pop.complaint_ts[person]))
        dead = pop.email_dead_ts[person]
        return ok & ((dead == NEVER) | (ts < dead + 7 * DAY))  # the ESP stops after a week
    if channel == CH["sms"]:
        mobile_in = pop.consent_sms[person] | (~marketing & pop.sms_transactional_optin[person])
        return mobile_in & (ts < pop.optout_ts["sms"][person]) & not_all_out
    if channel == CH["push"]:
        return (push_device(pop, person, ts) >= 0) & not_all_out
    if channel == CH["ads"]:
        return (
            (pop.consent_ads[person] == 1)
            & (ts < pop.optout_ts["ads"][person])
            & (ts < pop.optout_ts["all"][person])
        )
    if channel == CH["chat"]:
        return (ts < pop.optout_ts["chat"][person]) & (ts < pop.optout_ts["all"][person])
    raise ValueError(channel)


def push_device(pop: Population, person: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """The first of the person's devices that accepts pushes at ts, else -1."""
    out = np.full(len(person), -1, dtype=np.int64)
    if pop.n_devices_total == 0:
        return out
    for k in (1, 0):  # prefer the first device: written last
        has = pop.n_devices[person] > k
        dev = np.where(has, pop.device_start[person] + k, 0)
        ok = has & pop.device_push_consent[dev] & (ts < pop.device_push_optout_ts[dev])
        out = np.where(ok, dev, out)
    return out


def _target(rng: np.random.Generator, pop: Population, sends: Frame) -> None:
    """Fill each send's target identifier (email ref, device ref) and uniforms."""
    n = len(sends)
    ch = sends["channel"]
    email = ch == CH["email"]
    sends["target"][email] = person_email(
        rng, pop, sends["person"][email], sends["ts"][email], 0.07, 0.2
    )
    push = ch == CH["push"]
    sends["target"][push] = push_device(pop, sends["person"][push], sends["ts"][push])
    sms = ch == CH["sms"]
    sends["target"][sms] = pop.phone_at(sends["person"][sms], sends["ts"][sms])
    for name in ("u_deliver", "u_convert", "u_open", "u_click"):
        sends[name][:] = rng.random(n, dtype=np.float32)


# ---------------------------------------------------------------------------------------
# broadcast drops


def _drop_days(campaign_i: int, window: Window) -> np.ndarray:
    c = CAMPAIGNS[campaign_i]
    start, stop = campaign_window(c, _end_dt(window))
    first = max(0, (int(start.timestamp()) - window.start) // DAY)
    last = min(window.days - 1, (int(stop.timestamp()) - window.start) // DAY)
    if last < first or c.drop_every_days <= 0:
        return np.zeros(0, dtype=np.int64)
    phase = zlib.crc32(c.campaign_id.encode()) % c.drop_every_days if c.window == "evergreen" else 0
    return np.arange(first + phase, last + 1, c.drop_every_days, dtype=np.int64)


def _end_dt(window: Window) -> datetime:
    return datetime.fromtimestamp(window.end, UTC)


def _audience(pop: Population, audience: str, organic: Organic, day_ts: int) -> np.ndarray:
    seg = pop.segment
    if audience == "all":
        return np.ones(pop.n, dtype=bool)
    if audience == "customers":
        return seg > 0
    if audience == "prospects":
        return seg == 0
    if audience == "lapsed_90d":
        return seg == 2
    if audience == "app_users":
        return pop.n_devices > 0
    if audience == "product_viewers":
        return viewed_between(organic.views, pop.n, day_ts - 14 * DAY, day_ts)
    raise ValueError(audience)


def viewed_between(views: Frame, n: int, lo: int, hi: int) -> np.ndarray:
    """Persons with a product view in [lo, hi) (views sorted by person, ts)."""
    mask = np.zeros(n, dtype=bool)
    sel = (views["ts"] >= lo) & (views["ts"] < hi)
    mask[views["person"][sel]] = True
    return mask


def broadcasts(pop: Population, organic: Organic, window: Window, streams: Streams) -> Frame:
    rng = streams("broadcasts")
    out = []
    for ci, c in enumerate(CAMPAIGNS):
        if c.mode != "broadcast":
            continue
        for day in _drop_days(ci, window):
            day_ts = window.start + int(day) * DAY
            audience = np.flatnonzero(
                _audience(pop, c.audience, organic, day_ts) & (pop.created_ts < day_ts)
            )
            for ch_name in c.allowed_channels:
                ch = CH[ch_name]
                share = c.reach * model.BROADCAST_REACH_SCALE * model.DROP_CHANNEL_REACH[ch_name]
                if share <= 0:
                    continue
                p_in = np.clip(share * pop.pressure[audience], 0, 0.95)
                person = audience[rng.random(len(audience)) < p_in]
                local = model.DROP_LOCAL_HOUR[ch_name] * HOUR + rng.integers(0, 2400, len(person))
                ts = window.local_to_utc(pop.tz[person], np.full(len(person), day), local)
                ok = (ts >= window.start) & (ts < window.end) & eligible(pop, person, ch, ts, True)
                s = send_frame(int(ok.sum()))
                s["person"][:] = person[ok]
                s["ts"][:] = ts[ok]
                s["channel"][:] = ch
                s["campaign"][:] = ci
                out.append(s)
    return Frame.concat(out) if out else send_frame()


# ---------------------------------------------------------------------------------------
# ads and chat prompts


def _impressions(
    rng: np.random.Generator,
    pop: Population,
    window: Window,
    person: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    rate: float,
    campaign: int,
) -> Frame:
    """Poisson(rate per day) impressions per person over [lo, hi), daytime local."""
    lo = np.maximum(lo, window.start)
    hi = np.minimum(hi, window.end)
    span_days = np.maximum(hi - lo, 0) / DAY
    k = rng.poisson(rate * span_days)
    idx, _ = expand(k)
    p = person[idx]
    ts = lo[idx] + (rng.random(len(idx)) * (hi[idx] - lo[idx])).astype(np.int64)
    # shift to the person's waking hours (ads are seen when people are online)
    hour = window.local_hour(pop.tz[p], ts)
    ts = np.where(hour < 7, ts + (7 - hour) * HOUR + rng.integers(0, 3 * HOUR, len(p)), ts)
    ts = np.minimum(ts, window.end - 1)
    ok = eligible(pop, p, CH["ads"], ts, True)
    s = send_frame(int(ok.sum()))
    s["person"][:] = p[ok]
    s["ts"][:] = ts[ok]
    s["channel"][:] = CH["ads"]
    s["campaign"][:] = campaign
    s["marketing"][:] = True
    m = len(s)
    s["platform"][:] = rng.choice(3, m, p=[0.55, 0.30, 0.15])
    how = rng.choice(3, m, p=[0.5, 0.3, 0.2])  # email hash only, cookie only, both
    # the primary email at the time, hashed
    s["target"][:] = np.where(how != 1, pop.email_at(s["person"], s["ts"]), -1)
    # the pixel mostly sees the browser the person uses most
    cookie = pop.cookie_start[s["person"]] + np.where(
        rng.random(m) < 0.8, 0, rng.random(m) * pop.n_cookies[s["person"]]
    ).astype(np.int64)
    s["anon"][:] = np.where(how != 0, cookie, -1)
    return s


def ads(pop: Population, organic: Organic, window: Window, streams: Streams) -> Frame:
    rng = streams("ads")
    rates = model.ADS_IMPRESSIONS_PER_DAY
    out = []
    prospects = np.flatnonzero(pop.segment == 0)
    out.append(
        _impressions(
            rng,
            pop,
            window,
            prospects,
            pop.created_ts[prospects],
            np.full(len(prospects), window.end),
            rates["prospecting_ads"],
            CAMPAIGN_INDEX["prospecting_ads"],
        )
    )
    views = organic.views
    if len(views):  # one retargeting burst per person-day with a product view
        day = views["ts"] // DAY
        first = np.ones(len(views), dtype=bool)
        first[1:] = (views["person"][1:] != views["person"][:-1]) | (day[1:] != day[:-1])
        v = views.take(np.flatnonzero(first))
        out.append(
            _impressions(
                rng,
                pop,
                window,
                v["person"],
                v["ts"] + HOUR,
                v["ts"] + 7 * DAY,
                rates["retargeting_ads"],
                CAMPAIGN_INDEX["retargeting_ads"],
            )
        )
    for ci, c in enumerate(CAMPAIGNS):
        if c.mode != "broadcast" or "ads" not in c.allowed_channels:
            continue
        start, stop = campaign_window(c, _end_dt(window))
        members = np.flatnonzero(_audience(pop, c.audience, organic, int(start.timestamp())))
        out.append(
            _impressions(
                rng,
                pop,
                window,
                members,
                np.full(len(members), int(start.timestamp())),
                np.full(len(members), int(stop.timestamp())),
                rates["seasonal"],
                ci,
            )
        )
    return Frame.concat(out)


def chat_prompts(pop: Population, organic: Organic, streams: Streams) -> Frame:
    rng = streams("chat_prompts")
    v = organic.views
    web = np.flatnonzero(~v["in_app"] & (rng.random(len(v)) < model.CHAT_PROMPT_SHARE))
    person = v["person"][web]
    ts = v["ts"][web] + 40
    ok = eligible(pop, person, CH["chat"], ts, True)
    s = send_frame(int(ok.sum()))
    s["person"][:] = person[ok]
    s["ts"][:] = ts[ok]
    s["channel"][:] = CH["chat"]
    s["campaign"][:] = CAMPAIGN_INDEX["chat_help_prompt"]
    s["anon"][:] = v["cookie"][web][ok]
    s["logged_in"][:] = v["logged_in"][web][ok]
    return s


# ---------------------------------------------------------------------------------------
# journeys


def _entries(pop: Population, organic: Organic, window: Window, streams: Streams) -> Frame:
    """Journey instances known at the start: welcome, cart abandonment, winback."""
    rng = streams("journey_entries")
    signups = np.flatnonzero(pop.created_ts >= window.start)
    lapsed = np.flatnonzero((pop.segment == 2) & (rng.random(pop.n) < model.WINBACK_ENTRY_SHARE))
    lapsed_ts = window.start + rng.integers(0, window.days * DAY, len(lapsed))
    parts = [
        (signups, pop.created_ts[signups] + rng.integers(60, 600, len(signups)), "welcome"),
        (
            organic.carts["person"],
            organic.carts["ts"] + rng.integers(0, 900, len(organic.carts)),
            "cart_abandonment",
        ),
        (lapsed, lapsed_ts, "winback"),
    ]
    frames = [
        Frame(person=p.astype(np.int64), ts=t.astype(np.int64),
              journey=np.full(len(p), JOURNEY_IDS.index(j), np.int8),
              order=np.full(len(p), -1, np.int64), first_stage=np.zeros(len(p), np.int8))
        for p, t, j in parts
    ]  # fmt: skip
    return Frame.concat(frames)


def _post_purchase_entries(orders: Frame, stage: int) -> Frame:
    n = len(orders)
    return Frame(
        person=orders["person"].copy(),
        ts=orders["ts"] + 120,
        journey=np.full(n, JOURNEY_IDS.index("post_purchase"), np.int8),
        order=orders["order_id"].copy(),
        first_stage=np.full(n, stage, np.int8),
    )


def _step_sends(
    rng: np.random.Generator,
    pop: Population,
    window: Window,
    entries: Frame,
    step: int,
    orders: Frame,
    stage: int,
) -> tuple[Frame, Frame]:
    """Sends of journey step `step` for `entries`; (email/sms/push sends, ads impressions)."""
    out, impressions = [], []
    for j, journey in enumerate(JOURNEY_IDS):
        steps = JOURNEYS[journey]
        if step >= len(steps):
            continue
        sel = np.flatnonzero(entries["journey"] == j)
        if len(sel) == 0:
            continue
        e = entries.take(sel)
        wait = sum(s[1] for s in steps[: step + 1]) * HOUR
        ts = e["ts"] + wait + rng.integers(0, 600, len(e))
        live = ts < window.end
        if step > 0:
            if journey == "post_purchase":  # exit_on refund; cancelled orders never ship
                status = orders["status"][e["order"]]
                live &= status == 0 if step == 2 else status != 2
            else:  # exit_on purchase: any known order since the journey started
                live &= ~_ordered_between(orders, e["person"], e["ts"], ts)
        campaign_id = steps[step][0]
        ci = CAMPAIGN_INDEX[campaign_id]
        c = CAMPAIGNS[ci]
        marketing = c.objective != "transactional"
        person = e["person"]
        chosen = np.full(len(e), -1, dtype=np.int8)
        for ch_name in c.allowed_channels:
            if ch_name == "chat":  # prompts need a live visit; the tool falls through
                continue
            ok = live & (chosen < 0) & eligible(pop, person, CH[ch_name], ts, marketing)
            chosen[ok] = CH[ch_name]
        if "ads" in c.allowed_channels:
            on_ads = chosen == CH["ads"]
            impressions.append(
                _impressions(
                    rng,
                    pop,
                    window,
                    person[on_ads],
                    ts[on_ads],
                    ts[on_ads] + 7 * DAY,
                    model.ADS_IMPRESSIONS_PER_DAY["winback_ads"],
                    ci,
                )
            )
            chosen[on_ads] = -1
        keep = np.flatnonzero(chosen >= 0)
        s = send_frame(len(keep))
        s["person"][:] = person[keep]
        s["ts"][:] = ts[keep]
        s["channel"][:] = chosen[keep]
        s["campaign"][:] = ci
        s["journey"][:] = j
        s["step"][:] = step
        s["marketing"][:] = marketing
        s["order"][:] = e["order"][keep]
        out.append(s)
    sends = Frame.concat(out) if out else send_frame()
    imps = Frame.concat(impressions) if impressions else send_frame()
    for f in (sends, imps):
        if len(f):
            f["stage"][:] = stage
    return sends, imps


def _ordered_between(orders: Frame, person: np.ndarray, lo: np.ndarray, hi: np.ndarray):
    if len(orders) == 0:
        return np.zeros(len(person), dtype=bool)
    key = orders["person"] * (1 << 34) + orders["ts"]
    key = np.sort(key)
    a = np.searchsorted(key, person * (1 << 34) + lo, side="right")
    b = np.searchsorted(key, person * (1 << 34) + hi, side="left")
    return b > a


# ---------------------------------------------------------------------------------------
# delivery and conversion


def _delivered(pop: Population, s: Frame) -> np.ndarray:
    ch = s["channel"]
    u = s["u_deliver"]
    dead = pop.email_dead_ts[s["person"]]
    email_ok = (s["ts"] < dead) & (u >= model.SOFT_BOUNCE)
    return np.select(
        [ch == CH["email"], ch == CH["sms"], ch == CH["push"]],
        [email_ok, u >= model.SMS_FAILED, u >= model.PUSH_UNDELIVERED],
        True,
    )


def _conversions(
    rng: np.random.Generator,
    pop: Population,
    catalog: Catalog,
    window: Window,
    s: Frame,
    send_ids: np.ndarray,
) -> Frame:
    lift = np.array([model.TOUCH_LIFT[c] for c in model.CHANNELS], dtype=np.float32)
    converts = s["delivered"] & s["marketing"] & (s["u_convert"] < lift[s["channel"]])
    idx = np.flatnonzero(converts)
    d = model.CONVERSION_DELAY
    delay = d["min_minutes"] * 60 + rng.exponential(d["mean_hours_after_min"] * HOUR, len(idx))
    delay = np.minimum(delay, d["max_days"] * DAY).astype(np.int64)
    ts = s["ts"][idx] + delay
    inside = ts < window.end
    idx, ts = idx[inside], ts[inside]
    person = s["person"][idx]
    n = len(idx)
    o = order_frame(n)
    o["person"][:] = person
    o["ts"][:] = ts
    ch = s["channel"][idx]
    via_app = ch == CH["push"]
    o["channel"][:] = np.where(via_app, 1, 0)
    o["device"][:] = np.where(via_app, s["target"][idx], -1)
    chat_cookie = s["anon"][idx]
    cookie = pop.cookie_start[person] + np.where(
        rng.random(n) < 0.7, 0, (rng.random(n) * pop.n_cookies[person]).astype(np.int64)
    )
    cookie = np.where(ch == CH["chat"], chat_cookie, cookie)
    o["cookie"][:] = np.where(via_app, -1, cookie)
    o["logged_in"][:] = pop.has_account_at(person, ts) & np.where(
        via_app, True, pop.cookie_logs_in[np.maximum(cookie, 0)] & (rng.random(n) < 0.6)
    )
    o["campaign"][:] = s["campaign"][idx]
    o["driver"][:] = ch
    camp = [CAMPAIGNS[i] for i in range(len(CAMPAIGNS))]
    promo_product = np.array([_product_index(catalog, c.product_id) for c in camp])
    promo_cat = np.array([CATEGORY_NAMES.index(c.category) if c.category else -1 for c in camp])
    cat = promo_cat[o["campaign"]]
    cat = np.where(cat >= 0, cat, browse_category(rng, pop, person))
    product = pick_products(rng, catalog, cat)
    fixed = promo_product[o["campaign"]]
    o["product"][:] = np.where(fixed >= 0, fixed, product)
    o["send_id"] = send_ids[idx]
    return o


def _product_index(catalog: Catalog, product_id: str) -> int:
    if not product_id:
        return -1
    return int(np.flatnonzero(catalog.product_id == product_id)[0])


def _assign_status(rng: np.random.Generator, orders: Frame, first_id: int) -> Frame:
    n = len(orders)
    orders["status"] = rng.choice(3, n, p=ORDER_STATUSES_P).astype(np.int8)
    orders["order_id"] = np.arange(first_id, first_id + n, dtype=np.int64)
    if "send_id" not in orders:
        orders["send_id"] = np.full(n, -1, dtype=np.int64)
    return orders


def run(
    pop: Population,
    catalog: Catalog,
    organic: Organic,
    window: Window,
    streams: Streams,
    max_stages: int = 60,
) -> Messaging:
    rng = streams("messaging")
    orders = _assign_status(rng, Frame(organic.orders), 0)
    entries = _entries(pop, organic, window, streams)
    entries = Frame.concat([entries, _post_purchase_entries(orders, 0)])

    stage_sends = [broadcasts(pop, organic, window, streams), ads(pop, organic, window, streams),
                   chat_prompts(pop, organic, streams)]  # fmt: skip
    all_sends: list[Frame] = []
    n_sends = 0
    for stage in range(max_stages):
        steps = [_step_sends(rng, pop, window, entries.take(np.flatnonzero(
            entries["first_stage"] == stage - k)), k, orders, stage)
            for k in range(3)]  # fmt: skip
        for sends, imps in steps:
            stage_sends += [sends, imps]
        new = Frame.concat([f for f in stage_sends if len(f)])
        stage_sends = []
        if len(new) == 0:
            if stage >= int(entries["first_stage"].max(initial=0)) + 2:
                break  # no journey has a step left
            continue
        new["stage"][:] = stage
        _target(rng, pop, new)
        new["delivered"] = _delivered(pop, new)
        ids = np.arange(n_sends, n_sends + len(new), dtype=np.int64)
        n_sends += len(new)
        conv = _conversions(rng, pop, catalog, window, new, ids)
        conv = _assign_status(rng, conv, int(orders["order_id"].max(initial=-1)) + 1)
        new["conv_order"] = np.full(len(new), -1, dtype=np.int64)
        new["conv_order"][conv["send_id"] - ids[0]] = conv["order_id"]
        all_sends.append(new)
        orders = Frame.concat([orders, conv])
        entries = Frame.concat([entries, _post_purchase_entries(conv, stage + 1)])
    if not all_sends:  # nobody was contacted (a tiny sample): keep the columns
        empty = send_frame()
        empty["delivered"] = np.zeros(0, bool)
        empty["conv_order"] = np.zeros(0, np.int64)
        all_sends.append(empty)
    sends = Frame.concat(all_sends)
    orders = orders.sorted_by("order_id")
    assert (orders["order_id"] == np.arange(len(orders))).all()
    return Messaging(sends=sends, orders=orders)
