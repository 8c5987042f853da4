"""Ground truth in DIR/_truth/: who each identifier belongs to (with shared, junk and
unlinkable values marked), each person's latent traits, every message with the
contact pressure and fatigue it met, which record belongs to whom, the known channel
effects and fatigue curve, and the expected rejects.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from orchestration.sample_data import model
from orchestration.sample_data._core import NEVER, TZ_NAMES, Frame, Window
from orchestration.sample_data.catalog import CATEGORY_NAMES
from orchestration.sample_data.funnels import lookup
from orchestration.sample_data.messaging import Messaging
from orchestration.sample_data.people import (
    COUNTRY_CODES,
    JUNK_ANONYMOUS_IDS,
    JUNK_DEVICE_IDS,
    JUNK_PHONES,
    JUNK_USER_IDS,
    Population,
)
from orchestration.sample_data.render import Renderer, hex_id
from orchestration.sample_data.tables import MESSAGE_KEYS

JOURNEY_IDS = ("welcome", "cart_abandonment", "winback", "post_purchase")

ID_TYPES = ("email", "phone", "user_id", "anonymous_id", "device_id", "email_sha256",
            "contact_id")  # fmt: skip
T = {name: i for i, name in enumerate(ID_TYPES)}
# which frame column carries which identifier type, per table
ID_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "crm_contacts": (("record", "contact_id"), ("email", "email"), ("phone", "phone")),
    "web_events": (("anon", "anonymous_id"), ("user", "user_id"), ("email", "email")),
    "app_events": (("device", "device_id"), ("user", "user_id")),
    "orders": (("user", "user_id"), ("email", "email"), ("phone", "phone"),
               ("anon", "anonymous_id"), ("device", "device_id")),
    "email_events": (("email", "email"),),
    "sms_events": (("phone", "phone"),),
    "push_events": (("device", "device_id"),),
    "chat_events": (("anon", "anonymous_id"), ("user", "user_id"), ("email", "email")),
    "ad_events": (("email", "email_sha256"), ("anon", "anonymous_id")),
    "support_tickets": (("user", "user_id"), ("email", "email")),
    "consent_events": (("user", "user_id"), ("email", "email"), ("phone", "phone"),
                       ("device", "device_id")),
}  # fmt: skip
NODE = 1 << 40  # node id = type * NODE + ref


def person_ids(n: int) -> pa.Array:
    """person_0000001, ...: the truth's name for person index i is person_ids(n)[i]."""
    digits = pc.utf8_lpad(pc.cast(pa.array(np.arange(1, n + 1)), pa.string()), 7, "0")
    return pc.binary_join_element_wise("person_", digits, "")


class RefSpaces:
    """Which refs of each identifier type are shared (several persons) or junk."""

    def __init__(self, pop: Population) -> None:
        fam, junk, total = pop.email_refs
        dev, tab = pop.n_devices_total, pop.n_devices_total + pop.n_tablets
        self.shared = {T["email"]: (fam, junk), T["email_sha256"]: (fam, junk),
                       T["device_id"]: (dev, tab)}  # fmt: skip
        self.junk = {
            T["email"]: (junk, total), T["email_sha256"]: (junk, total),
            T["phone"]: (pop.phone_junk_start, pop.phone_junk_start + len(JUNK_PHONES)),
            T["user_id"]: (pop.n, pop.n + len(JUNK_USER_IDS)),
            T["anonymous_id"]: (pop.n_cookies_total,
                                pop.n_cookies_total + len(JUNK_ANONYMOUS_IDS)),
            T["device_id"]: (tab, tab + len(JUNK_DEVICE_IDS)),
        }  # fmt: skip

    def sql(self, kind: str, t: str, ref: str) -> str:
        """SQL: is (type t, ref) in the shared / junk space."""
        ranges = self.shared if kind == "shared" else self.junk
        cases = " ".join(
            f"when {code} then {ref} >= {lo} and {ref} < {hi}" for code, (lo, hi) in ranges.items()
        )
        return f"(case {t} {cases} else false end)"

    def sql_for(self, kind: str, code: int, ref: str) -> str:
        lo, hi = (self.shared if kind == "shared" else self.junk).get(code, (0, 0))
        return f"({ref} >= {lo} and {ref} < {hi})"


def identifiers(pop: Population, frames: dict[str, Frame], renderer: Renderer, path: Path) -> int:
    """One row per (type, normalized value, person) seen in the good rows -> parquet.

    Observations, edges and the final join run in DuckDB straight over the frames
    (Arrow, zero copy); only the connected components run in scipy.
    """
    spaces = RefSpaces(pop)
    con = renderer.con
    obs_parts, edge_parts, shared_parts = [], [], []
    for table, cols in ID_COLUMNS.items():
        f = frames[table]
        used = {"person"} | {c for c, _ in cols}
        con.register(f"id_{table}", pa.table({k: f[k] for k in used}))
        types = [T[id_type] for _, id_type in cols]
        refs = [col for col, _ in cols]
        # one scan per table: unnest the identifier columns side by side
        obs_parts.append(
            f"select * from (select unnest({types}) as t, unnest([{', '.join(refs)}])"
            f" as ref, person from id_{table}) where ref >= 0"
        )
        if len(cols) < 2:
            continue
        nodes, shared_cols = [], []
        for t, col in zip(types, refs, strict=True):
            good = (
                f"{col} >= 0 and not {spaces.sql_for('shared', t, col)}"
                f" and not {spaces.sql_for('junk', t, col)}"
            )
            nodes.append(f"case when {good} then {t}::bigint * {NODE} + {col} end")
            if t in spaces.shared:
                shared_cols.append(
                    (t, f"case when {spaces.sql_for('shared', t, col)} then {col} end")
                )
        n_valid = " + ".join(f"({n} is not null)::int" for n in nodes)
        edge_parts.append(f"""
            select a, b from (
                select f as a, unnest(ns) as b from (
                    select coalesce(ns[1], {
            ", ".join(f"ns[{j + 1}]" for j in range(1, len(nodes)))
        }) as f, ns
                    from (select [{", ".join(nodes)}] as ns from id_{table}
                          where {n_valid} >= 2)))
            where b is not null and b <> a""")
        if shared_cols:
            shared_parts.append(f"""
                select * from (
                    select unnest({[t for t, _ in shared_cols]}) as t,
                           unnest([{", ".join(e for _, e in shared_cols)}]) as ref, person
                    from id_{table} where {n_valid} >= 1)
                where ref is not null""")
    con.execute(f"""create or replace temp table obs as
        select t, ref, person, count(*)::integer as records,
               {spaces.sql("shared", "t", "ref")} as in_shared_space,
               {spaces.sql("junk", "t", "ref")} as is_junk
        from ({" union all ".join(obs_parts)}) group by all""")
    sha_edges = (
        f"select {T['email_sha256']}::bigint * {NODE} + ref as a,"
        f" {T['email']}::bigint * {NODE} + ref as b from obs"
        f" where t = {T['email_sha256']} and not in_shared_space and not is_junk"
    )
    edges = con.execute(
        f"select distinct a, b from ({' union all '.join(edge_parts)} union all {sha_edges})"
    ).fetchnumpy()
    con.execute(f"""create or replace temp table shared_linked as
        select distinct t, ref, person from ({" union all ".join(shared_parts)})""")
    for table in ID_COLUMNS:
        con.unregister(f"id_{table}")

    a, b = np.asarray(edges["a"]), np.asarray(edges["b"])
    nodes = np.unique(np.concatenate([a, b]))
    ia, ib = np.searchsorted(nodes, a), np.searchsorted(nodes, b)
    graph = coo_matrix((np.ones(len(ia), np.int8), (ia, ib)), shape=(len(nodes), len(nodes)))
    _, label = connected_components(graph, directed=False)
    con.register("labels_arrow", pa.table({"node": nodes, "label": label.astype(np.int64)}))
    # a component id per good identifier (isolated ones are their own component), and the
    # person's main cluster: the component holding most of their identifiers
    con.execute(f"""create or replace temp table comp as
        select o.t, o.ref, o.person,
               coalesce(l.label, -(o.t::bigint * {NODE} + o.ref) - 1) as comp
        from obs o left join labels_arrow l on l.node = o.t::bigint * {NODE} + o.ref
        where not o.in_shared_space and not o.is_junk""")
    con.unregister("labels_arrow")
    spanning = con.execute(
        "select count(*) from (select comp from comp group by comp"
        " having count(distinct person) > 1)"
    ).fetchall()[0][0]
    assert spanning == 0, "a cluster of good identifiers spans two persons"
    crm = frames["crm_contacts"]
    con.register("contacts_arrow", pa.table({"ref": crm["record"], "kid": crm["kid"]}))
    value = f"""case o.t
        when {T["email"]} then e.lower
        when {T["email_sha256"]} then e.sha
        when {T["phone"]} then ph.v0
        when {T["user_id"]} then u.value
        when {T["anonymous_id"]} then a.value
        when {T["device_id"]} then d.value
        when {T["contact_id"]} then '003' || upper(lpad(hex(c.kid), 12, '0')) end"""
    con.execute(f"""copy (
        with main as (
            select person, comp from (
                select person, comp, row_number() over (
                    partition by person order by count(*) desc, comp) as rn
                from comp group by person, comp)
            where rn = 1)
        select {_list(ID_TYPES)}[o.t + 1] as identifier_type, {value} as identifier_value,
               'person_' || lpad((o.person + 1)::varchar, 7, '0') as person_id,
               (count(*) over (partition by o.t, o.ref)) > 1 or o.in_shared_space
                   as is_shared,
               o.is_junk,
               case when o.is_junk then false
                    when o.in_shared_space then sl.person is not null
                    else c2.comp = m.comp end as is_linkable,
               o.records
        from obs o
        left join comp c2 on c2.t = o.t and c2.ref = o.ref and c2.person = o.person
        left join main m on m.person = o.person
        left join shared_linked sl on sl.t = o.t and sl.ref = o.ref and sl.person = o.person
        left join emails e on o.t in ({T["email"]}, {T["email_sha256"]}) and e.ref = o.ref
        left join phones ph on o.t = {T["phone"]} and ph.ref = o.ref
        left join users u on o.t = {T["user_id"]} and u.ref = o.ref
        left join anons a on o.t = {T["anonymous_id"]} and a.ref = o.ref
        left join devices d on o.t = {T["device_id"]} and d.ref = o.ref
        left join contacts_arrow c on o.t = {T["contact_id"]} and c.ref = o.ref
        order by o.t, o.ref, o.person
    ) to '{path}' (format parquet, compression zstd)""")
    con.unregister("contacts_arrow")
    rows = con.execute("select count(*) from obs").fetchall()[0][0]
    con.execute("drop table obs; drop table comp; drop table shared_linked")
    return int(rows)


def _list(values) -> str:
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def persons(pop: Population) -> pa.Table:
    def ts(values: np.ndarray) -> pa.Array:
        mask = values == NEVER
        return pa.array(np.where(mask, 0, values) * 1_000_000, type=pa.timestamp("us"), mask=mask)

    cols = {
        "person_id": person_ids(pop.n),
        "country": np.asarray(COUNTRY_CODES)[pop.country],
        "timezone": np.asarray(TZ_NAMES)[pop.tz],
        "segment": np.asarray(model.SEGMENTS)[pop.segment],
        "created_at": ts(pop.created_ts),
        "peak_hour_local": pop.peak_hour.astype(np.int32),
        "preferred_channel": np.asarray(model.CHANNELS)[pop.preferred],
    }
    for j, ch in enumerate(model.CHANNELS):
        cols[f"affinity_{ch}"] = pop.affinity[:, j].astype(np.float64)
    cols |= {
        "click_given_open": pop.click_given_open.astype(np.float64),
        "contact_pressure": pop.pressure.astype(np.float64),
        "sessions_per_day": pop.activity.astype(np.float64),
        "buy_propensity": pop.buy_propensity.astype(np.float64),
        "favorite_category": np.asarray(CATEGORY_NAMES)[pop.fav_category],
        "has_account": pop.has_user, "app_devices": pop.n_devices.astype(np.int32),
        "browsers": pop.n_cookies.astype(np.int32),
        "family_id": pa.array(pop.family, mask=pop.family < 0),
        "is_store_shopper": pop.store_shopper,
        "consent_email": pop.consent_email, "consent_sms": pop.consent_sms,
        "consent_ads": np.asarray(["none", "opted_in", "opted_out"])[pop.consent_ads],
    }  # fmt: skip
    for key, values in pop.optout_ts.items():
        cols[f"opted_out_{key}_at"] = ts(values)
    cols["complained_at"] = ts(pop.complaint_ts)
    cols["mailbox_dead_at"] = ts(pop.email_dead_ts)
    cols |= {
        "has_work_email": pop.has_work,
        "phone_changed_at": ts(pop.phone_change_ts),
        "email_changed_at": ts(pop.email_change_ts),
        "account_created_at": ts(np.where(pop.has_user, pop.account_ts, NEVER)),
    }
    return pa.table(cols)


def changes(pop: Population, window: Window, renderer: Renderer) -> pa.Table:
    """One row per identity change of a person: a new phone number or email address
    (old and new value, when, and how the CRM showed it by the window's end) and an
    account registered after guest checkouts."""
    from orchestration.sample_data.people import PHONE_VARIANTS

    ids = person_ids(pop.n)

    def part(change, id_type, rows, old, new, changed_at, crm) -> pa.Table:
        k = len(rows)
        return pa.table({
            "person_id": ids.take(pa.array(rows, type=pa.int64())),
            "change": pa.array([change] * k, pa.string()),
            "identifier_type": pa.array([id_type] * k, pa.string()),
            "old_value": old if old is not None else pa.nulls(k, pa.string()),
            "new_value": new,
            "changed_at": pa.array(changed_at[rows] * 1_000_000, type=pa.timestamp("us")),
            "crm": pa.array(crm, pa.string()) if crm is not None else pa.nulls(k, pa.string()),
        })  # fmt: skip

    def crm(rows: np.ndarray, changed_at: np.ndarray) -> list[str]:
        learnt = changed_at[rows] + pop.crm_lag[rows] < window.end - 60
        how = np.where(pop.crm_in_place[rows], "contact_edited", "contact_added")
        return np.where(learnt, how, "not_yet").tolist()

    def e164(refs: np.ndarray) -> pa.Array:
        return renderer.take("phone", refs * len(PHONE_VARIANTS))

    phone_p = np.flatnonzero(pop.phone_change_ts != NEVER)
    email_p = np.flatnonzero(pop.email_change_ts != NEVER)
    account_p = np.flatnonzero(pop.has_user & (pop.account_ts > window.start))
    table = pa.concat_tables([
        part("phone_changed", "phone", phone_p, e164(phone_p), e164(pop.new_phone[phone_p]),
             pop.phone_change_ts, crm(phone_p, pop.phone_change_ts)),
        part("email_changed", "email", email_p, renderer.take("email_lower", 2 * email_p),
             renderer.take("email_lower", pop.new_email[email_p]), pop.email_change_ts,
             crm(email_p, pop.email_change_ts)),
        part("account_created", "user_id", account_p, None, renderer.take("user", account_p),
             pop.account_ts, None),
    ])  # fmt: skip
    return table.sort_by([("person_id", "ascending"), ("changed_at", "ascending")])


def messages(
    msg: Messaging, frames: dict[str, Frame], streams, renderer: Renderer, path: Path
) -> None:
    """Every send, prompt and impression with the pressure and engagement it met."""
    from orchestration.sample_data.render import hex_id, scramble

    s = msg.sends
    n = len(s)
    ids = np.arange(n, dtype=np.int64)
    msg_int = np.zeros(n, dtype=np.int64)
    for name in ("email", "sms", "push"):
        sel = s["channel"] == model.CH[name]
        msg_int[sel] = scramble(ids[sel], streams.key(MESSAGE_KEYS[name]))
    order_no = np.zeros(len(msg.orders), dtype=np.int64)
    order_no[frames["orders"]["order_id"]] = frames["orders"]["order_no"]
    conv = s["conv_order"]
    con = renderer.con
    con.register("m_arrow", pa.table({
        "send_id": ids, "msg": msg_int, "channel": s["channel"], "campaign": s["campaign"],
        "person": s["person"], "ts": s["ts"], "marketing": s["marketing"],
        "journey": s["journey"], "contacts_7d": s["contacts_7d"],
        "fatigue": model.fatigue_multiplier(s["contacts_7d"]),
        "p_engage": s["p_engage"].astype(np.float64), "delivered": s["delivered"],
        "opened": s["opened"], "clicked": s["clicked"],
        "order_no": lookup(order_no, conv, -1),
    }))  # fmt: skip
    channel = "m.channel"
    con.execute(f"""copy (
        select m.send_id,
               case {channel}
                   when {model.CH["email"]} then {hex_id("<", "m.msg")}
                        || '@mail.trailhead.example>'
                   when {model.CH["sms"]} then {hex_id("SM", "m.msg")}
                   when {model.CH["push"]} then {hex_id("pm_", "m.msg")} end as message_id,
               {_list(model.CHANNELS)}[m.channel + 1] as channel, c.campaign_id,
               'person_' || lpad((m.person + 1)::varchar, 7, '0') as person_id,
               make_timestamp(m.ts * 1000000) as sent_at, m.marketing as is_marketing,
               case when m.journey >= 0 then {_list(JOURNEY_IDS)}[m.journey + 1] end
                   as journey_id,
               m.contacts_7d, m.fatigue as fatigue_multiplier, m.p_engage,
               m.delivered, m.opened, m.clicked,
               case when m.order_no >= 0 then 'ORD-' || m.order_no end as converted_order_id
        from m_arrow m join campaigns c on c.idx = m.campaign
        where m.channel <> {model.CH["ads"]}
        order by m.send_id
    ) to '{path}' (format parquet, compression zstd)""")
    con.unregister("m_arrow")


def records(
    frames: dict[str, Frame], msg: Messaging, streams, renderer: Renderer, path: Path
) -> None:
    """CRM contacts, orders (with the touch that caused them) and tickets -> person."""
    from orchestration.sample_data.render import scramble

    crm, o, t = frames["crm_contacts"], frames["orders"], frames["support_tickets"]
    s = msg.sends
    send = o["send_id"]
    has = send >= 0
    ch = np.where(has, s["channel"][np.maximum(send, 0)], -1)
    msg_int = np.zeros(len(o), dtype=np.int64)
    for name in ("email", "sms", "push"):
        sel = ch == model.CH[name]
        msg_int[sel] = scramble(send[sel], streams.key(MESSAGE_KEYS[name]))
    con = renderer.con
    con.register("crm_arrow", pa.table({"kid": crm["kid"], "person": crm["person"]}))
    con.register("orders_arrow", pa.table({
        "no": o["order_no"], "person": o["person"], "ch": ch, "campaign": o["campaign"],
        "msg": msg_int}))  # fmt: skip
    con.register("tickets_arrow", pa.table({"kid": t["kid"], "person": t["person"]}))
    pid = "'person_' || lpad((person + 1)::varchar, 7, '0')"
    message = f"""case ch when {model.CH["email"]} then {hex_id("<", "msg")}
                        || '@mail.trailhead.example>'
                   when {model.CH["sms"]} then {hex_id("SM", "msg")}
                   when {model.CH["push"]} then {hex_id("pm_", "msg")} end"""
    con.execute(f"""copy (
        select 'crm_contacts' as "table", '003' || upper(lpad(hex(kid), 12, '0')) as record_id,
               {pid} as person_id, null::varchar as driver_channel,
               null::varchar as driver_campaign_id, null::varchar as driver_message_id
        from crm_arrow
        union all
        select 'orders', 'ORD-' || no, {pid},
               case when ch >= 0 then {_list(model.CHANNELS)}[ch + 1] end,
               c.campaign_id, {message}
        from orders_arrow left join campaigns c on c.idx = campaign
        union all
        select 'support_tickets', 'TCK-' || lpad((kid + 1)::varchar, 7, '0'), {pid},
               null, null, null
        from tickets_arrow
        order by 1, 2
    ) to '{path}' (format parquet, compression zstd)""")
    for name in ("crm_arrow", "orders_arrow", "tickets_arrow"):
        con.unregister(name)


def write_json(path: Path, payload) -> None:
    path.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def channel_effects(msg: Messaging, window: Window, n_persons: int) -> dict:
    s, o = msg.sends, msg.orders
    driver = o["driver"]
    per_channel = {}
    for j, ch in enumerate(model.CHANNELS):
        touches = int((s["delivered"] & s["marketing"] & (s["channel"] == j)).sum())
        caused = int((driver == j).sum())
        per_channel[ch] = {
            "incremental_conversion_probability_per_touch": model.TOUCH_LIFT[ch],
            "touch": {
                "email": "delivered marketing email",
                "sms": "delivered marketing sms",
                "push": "delivered marketing push",
                "chat": "chat prompt shown",
                "ads": "ad impression",
            }[ch],
            "marketing_touches": touches,
            "orders_caused": caused,
        }
    organic = int((driver < 0).sum())
    return {
        "model": "each marketing touch independently causes one order with the channel's"
        " probability (transactional messages cause none), after a delay; organic orders"
        " happen regardless of touches. Conversion does not depend on opens or fatigue; a"
        " converting touch is given the open/click path that led to the order.",
        "channels": per_channel,
        "conversion_delay": model.CONVERSION_DELAY,
        "organic": model.ORGANIC
        | {
            "orders": organic,
            "orders_per_person_per_day": organic / max(1, n_persons * window.days),
        },
        "orders_total": int(len(o)),
        "currency": "USD",
    }


def fatigue(msg: Messaging) -> dict:
    s = msg.sends
    email = (s["channel"] == model.CH["email"]) & s["delivered"] & s["marketing"]
    buckets = {}
    for lo, hi in ((0, 1), (1, 3), (3, 5), (5, 8), (8, 1000)):
        sel = email & (s["contacts_7d"] >= lo) & (s["contacts_7d"] < hi)
        buckets[f"{lo}-{hi - 1}" if hi < 1000 else f"{lo}+"] = {
            "delivered": int(sel.sum()),
            "open_rate": float(s["opened"][sel].mean()) if sel.any() else None,
        }
    return model.FATIGUE | {"observed_marketing_email_open_rate_by_contacts_7d": buckets}


README = """# Ground truth of this sample data set

Written by `chorus generate` next to the raw files. Nothing here is input to Chorus:
it is what the capabilities are validated against.

- `persons.parquet`: one row per person (person_id): country, timezone, segment before
  the window, created_at, local peak hour, preferred channel and per-channel base
  engagement (affinity_<channel>: email open, sms click, push open, chat prompt click,
  ad click, before fatigue), contact pressure, consent at sign-up and the latent
  opt-out / complaint / dead-mailbox times (null = did not happen).
- `identifiers.parquet`: one row per (identifier_type, identifier_value, person_id) seen
  in the good raw rows. Types: email, phone, user_id, anonymous_id, device_id,
  email_sha256, contact_id. Values are normalized: email = lower(trim()), phone = E.164
  (junk phones as typed), email_sha256 = sha256 hex of the normalized email.
  `is_shared`: the value is used by several persons (household emails, shop tablets,
  junk); one row per person using it. `is_junk`: placeholder values (test@test.com,
  0000000000, "undefined", "null", "n/a", ...) that must never link anything.
  `is_linkable`: the value can be tied to the person's other identifiers through the
  raw rows (same row, or an email and its sha256), without passing through a shared or
  junk value: false for a browser or device that nothing ever identifies. For a shared
  value: it appears on a row with one of the person's own identifiers. Identity
  resolution is scored on the linkable, non-shared, non-junk rows (pairwise precision
  and recall of person_id); shared and junk values must come out flagged, not merged.
  `records`: how many raw rows carry the value for that person.
- `identity_changes.parquet`: one row per identity change of a person: `phone_changed`
  and `email_changed` (old_value, new_value normalized, changed_at; from then on every
  source uses the new value and the old one stops; `crm` says how the CRM export shows
  it: `contact_edited` in place (only the new value is visible), `contact_added` (a new
  contact, the older one stale since the change) or `not_yet`), and `account_created`
  (new_value = the user_id; the person's earlier orders were guest checkouts: email,
  phone, cookie, no account). persons.parquet carries the same times
  (phone_changed_at, email_changed_at, account_created_at) and has_work_email (a work
  address beside the personal one).
- `records.parquet`: one row per CRM contact, order and support ticket: (table,
  record_id, person_id); for orders also the touch that caused it (driver_channel,
  driver_campaign_id, driver_message_id; null = organic).
- `messages.parquet`: one row per send (email, sms, push) and chat prompt (ad
  impressions are not contacts; their effect is in channel_effects.json), with the
  contact pressure it met (contacts_7d), the fatigue multiplier, the engagement
  probability used, its outcome, and the order it caused (converted_order_id).
- `channel_effects.json`: the known causal effect of a touch per channel (incremental
  conversion probability), the delay, the organic baseline, and realised counts.
- `fatigue.json`: the fatigue curve (formula, parameters, what counts as a contact) and
  the observed open rate by trailing-7-day contacts.
- `expected_rejects.json`: {table: {reason: count}} of the deliberately bad rows, with
  the contract's reason codes; the loader must reject exactly these.
- `generation.json`: the parameters this sample was generated with (customers, days,
  seed, end). A warehouse records them at its first load of a generated sample and
  refuses a sample generated with others: a different business whose ids overlap.

Conventions: times are UTC. Every raw table keeps its contract columns; behavioural
events lie in [end - days, end); CRM records and consent opt-ins may be older (a CRM
and a consent system export their whole history).
"""
