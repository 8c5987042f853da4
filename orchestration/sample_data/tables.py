"""Assemble the numeric frame of every contract table from the simulation, in file order
(time order; CRM by contact id), with keys, timestamp formats and UTC offsets attached.
"""

from __future__ import annotations

import numpy as np

from orchestration.sample_data._core import Frame, Streams, Window, perm_bits
from orchestration.sample_data.catalog import Catalog
from orchestration.sample_data.funnels import Funnels
from orchestration.sample_data.people import Population
from orchestration.sample_data.render import scramble
from orchestration.sample_data.sessions import PAGE, Organic

# share of timestamps written as ('...Z', local time with offset, naive = UTC) per table:
# each source system has its habit, with some noise
TIME_FORMATS = {
    "crm_contacts": (0.30, 0.10, 0.60),
    "web_events": (0.90, 0.05, 0.05),
    "app_events": (0.80, 0.15, 0.05),
    "orders": (0.85, 0.10, 0.05),
    "email_events": (0.97, 0.0, 0.03),
    "sms_events": (0.97, 0.0, 0.03),
    "push_events": (0.97, 0.0, 0.03),
    "chat_events": (0.90, 0.05, 0.05),
    "ad_events": (0.95, 0.0, 0.05),
    "support_tickets": (0.80, 0.10, 0.10),
    "consent_events": (0.80, 0.10, 0.10),
}
MESSAGE_KEYS = {"email": "msg:email", "sms": "msg:sms", "push": "msg:push"}
# the stream keying each event table's scrambled ids (bad rows draw fresh ones from it)
KID_STREAMS = {"web_events": "web", "app_events": "app", "email_events": "email",
               "sms_events": "sms", "push_events": "push", "chat_events": "chat",
               "ad_events": "ads", "consent_events": "consent"}  # fmt: skip


def assemble_events(
    pop: Population,
    catalog: Catalog,
    window: Window,
    streams: Streams,
    organic: Organic,
    fun: Funnels,
    crm: Frame,
    consent: Frame,
) -> dict[str, Frame]:
    """The tables that are final once the funnels ran (written while commerce runs)."""
    frames: dict[str, Frame] = {"crm_contacts": _crm(crm, streams)}
    frames["products"] = Frame(
        product=np.arange(len(catalog.product_id), dtype=np.int64),
        price_cents=catalog.price_cents.copy(),
        alt_id=np.full(len(catalog.product_id), -1, np.int64),
    )
    web = _events(Frame.concat([organic.web, fun.web]), streams, "web")
    web["landing"] = np.where(web["page"] == PAGE["landing"], web["page_arg"], -1)
    frames["web_events"] = web
    frames["app_events"] = _events(Frame.concat([organic.app, fun.app]), streams, "app")
    for name, f in (("email", fun.email), ("sms", fun.sms), ("push", fun.push)):
        f = _events(f, streams, name)
        f["msg"] = scramble(np.maximum(f["send"], 0), streams.key(MESSAGE_KEYS[name]))
        frames[f"{name}_events"] = f
    frames["ad_events"] = _events(fun.ads, streams, "ads")
    frames["consent_events"] = _events(consent, streams, "consent")
    for table, f in frames.items():
        _time_format(table, f, pop, window, streams)
    _compact(frames)
    return frames


def assemble_commerce(
    pop: Population,
    window: Window,
    streams: Streams,
    fun: Funnels,
    orders: Frame,
    items: Frame,
    tickets: Frame,
    support: Frame,
) -> dict[str, Frame]:
    """Orders (numbered in time order), their lines, tickets and chats."""
    frames: dict[str, Frame] = {}
    o = orders.sorted_by("ts", "order_id")
    order_no = np.empty(len(o), dtype=np.int64)
    order_no[o["order_id"]] = 100_001 + np.arange(len(o))
    o["order_no"] = order_no[o["order_id"]]
    frames["orders"] = o
    it = Frame(items)
    it["order_no"] = order_no[it["order"]]
    it["person"] = orders["person"][it["order"]]
    frames["order_items"] = it.sorted_by("order_no", "line")
    chat = _events(Frame.concat([fun.chat, support]), streams, "chat")
    chat["conv"] = scramble(chat["conversation"], streams.key("conversation"))
    frames["chat_events"] = chat
    t = Frame(tickets)
    t["ts"] = t.pop("opened")
    t["kid"] = t["ticket_no"]
    frames["support_tickets"] = t
    for table, f in frames.items():
        _time_format(table, f, pop, window, streams)
    _compact(frames)
    return frames


# 64-bit columns that stay 64-bit: epoch seconds (SQL multiplies them to microseconds)
# and scrambled ids
WIDE = {"ts", "created", "resolved", "kid", "msg", "conv"}


def _compact(frames: dict[str, Frame]) -> None:
    """Store int64 columns that fit as int32: the frames wait in memory for the writer
    and the truth, and at 1M persons that halves most of their size."""
    lo, hi = np.iinfo(np.int32).min, np.iinfo(np.int32).max
    for f in frames.values():
        for name, values in f.items():
            if (
                values.dtype == np.int64
                and name not in WIDE
                and len(values)
                and lo <= values.min()
                and values.max() <= hi
            ):
                f[name] = values.astype(np.int32)


def _events(f: Frame, streams: Streams, name: str) -> Frame:
    f = f.take(np.argsort(f["ts"], kind="stable"))
    f["kid"] = scramble(np.arange(len(f)), streams.key(f"kid:{name}"))
    return f


def _crm(crm: Frame, streams: Streams) -> Frame:
    f = Frame(crm)
    f["kid"] = perm_bits(f["record"], 48, streams.key("contact_id")).astype(np.int64)
    f["ts"] = f.pop("updated")
    return f.sorted_by("kid")


def _time_format(table: str, f: Frame, pop: Population, window: Window, streams: Streams) -> None:
    n = len(f)
    if table not in TIME_FORMATS:
        f["tf"] = np.zeros(n, np.int8)
        f["off"] = np.zeros(n, np.int32)
        return
    rng = streams(f"time_format:{table}")
    cdf = np.cumsum(TIME_FORMATS[table])
    f["tf"] = np.searchsorted(cdf / cdf[-1], rng.random(n), "right").astype(np.int8)
    f["off"] = np.zeros(n, np.int32)
    local = np.flatnonzero(f["tf"] == 1)  # only these need the person's UTC offset
    f["off"][local] = window.offset_at(pop.tz[f["person"][local]], f["ts"][local]) // 60
