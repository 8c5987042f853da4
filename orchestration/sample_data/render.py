"""Numeric frames -> contract tables on disk, through DuckDB.

Dimension tables (emails, phones, accounts, cookies, devices, names, products,
campaigns) are built once; each raw table is one SELECT over its frame (an Arrow table)
joined to them, written with COPY in parallel. Row order is fixed in numpy before the
COPY and DuckDB preserves insertion order, so the same frame gives byte-identical files.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from orchestration.contract import (
    AD_EVENT_TYPES,
    APP_EVENT_TYPES,
    CHAT_EVENT_TYPES,
    CONSENT_CHANNELS,
    CONSENT_PURPOSES,
    CONSENT_STATUSES,
    EMAIL_EVENT_TYPES,
    ORDER_STATUSES,
    PUSH_EVENT_TYPES,
    SMS_EVENT_TYPES,
    WEB_EVENT_TYPES,
)
from orchestration.sample_data._core import TZ_NAMES, Frame, Streams, perm_bits
from orchestration.sample_data.catalog import CAMPAIGNS, CATEGORY_NAMES, Catalog
from orchestration.sample_data.commerce import CURRENCY, TICKET_CATEGORIES
from orchestration.sample_data.crm import CONSENT_SOURCES
from orchestration.sample_data.funnels import CHAT_TOPICS, SMS_BODIES
from orchestration.sample_data.messaging import PLATFORMS
from orchestration.sample_data.people import (
    COUNTRY_CODES,
    EMAIL_DOMAINS,
    FAMILY_DOMAINS,
    FIRST_NAMES,
    JUNK_ANONYMOUS_IDS,
    JUNK_DEVICE_IDS,
    JUNK_EMAILS,
    JUNK_PHONES,
    JUNK_USER_IDS,
    LAST_NAMES,
    PHONE_VARIANTS,
    WORK_DOMAINS,
    Population,
    phone_templates,
)
from orchestration.sample_data.rejects import BAD_TIMESTAMPS
from orchestration.sample_data.sessions import PAGES, SALES_CHANNELS, UTM

SITE = "https://www.trailhead.example"
# Values that are not in a table's vocabulary, for the unknown_value rejects. Each must
# stay unknown after lower(trim()) (the loader compares case-insensitively).
BOGUS = ("bogus_event", "opened_twice", "sent_at", "fax", "pending_review")
BOGUS_CHANNEL = ("fax", "whatsapp", "carrier_pigeon")


def sql_list(values) -> str:
    return "[" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) + "]"


def enum_sql(values: tuple[str, ...], code: str, bogus: tuple[str, ...] = BOGUS) -> str:
    """values[code]; codes past the end pick a bogus value (unknown_value rejects)."""
    return f"{sql_list(tuple(values) + tuple(bogus))}[{code} + 1]"


def lookup_sql(values, code: str) -> str:
    return f"(case when {code} >= 0 then {sql_list(values)}[{code} + 1] end)"


def ts_sql(ts: str = "r.ts", tf: str = "r.tf", off: str = "r.off", bad: str | None = None) -> str:
    """ISO-8601 text: mostly '...Z', some local time with its offset, some naive (= UTC)."""
    bad = bad or lookup_sql(BAD_TIMESTAMPS, "r.bad_ts")
    utc = f"make_timestamp({ts} * 1000000)"
    local = f"make_timestamp(({ts} + {off} * 60) * 1000000)"
    offset = (
        f"(case when {off} < 0 then '-' else '+' end) || lpad((abs({off}) // 60)::varchar,"
        f" 2, '0') || ':' || lpad((abs({off}) % 60)::varchar, 2, '0')"
    )
    return (
        f"coalesce({bad}, case {tf} when 0 then strftime({utc}, '%Y-%m-%dT%H:%M:%SZ')"
        f" when 1 then strftime({local}, '%Y-%m-%dT%H:%M:%S') || {offset}"
        f" else strftime({utc}, '%Y-%m-%d %H:%M:%S') end)"
    )


def key_sql(expr: str, missing: str = "r.key_missing") -> str:
    """The key, or null / '' for the missing_value rejects."""
    return f"(case {missing} when 1 then null when 2 then '' else {expr} end)"


def hex_id(prefix: str, col: str) -> str:
    """prefix + 16 hex digits (scrambled ids have bit 60 set, so no padding is needed)."""
    return f"'{prefix}' || lower(hex({col}))"


class Renderer:
    def __init__(self, pop: Population, catalog: Catalog, streams: Streams, threads: int):
        self.con = duckdb.connect()
        self.con.execute("set TimeZone = 'UTC'")
        self.con.execute(f"set threads = {threads}")
        self.con.execute("set preserve_insertion_order = true")
        self.pop = pop
        self.streams = streams
        self._dims(pop, catalog)
        self._arrays()

    # -- dimensions ------------------------------------------------------------------
    def _dims(self, pop: Population, catalog: Catalog) -> None:
        con = self.con
        names = []
        for kind, lists in (("first", FIRST_NAMES), ("last", LAST_NAMES)):
            for lang, values in enumerate(lists):
                for i, (display, ascii_) in enumerate(values):
                    names.append((kind, lang, i, display, ascii_))
        names_t = pa.table({
            "kind": [x[0] for x in names], "lang": [x[1] for x in names],
            "idx": [x[2] for x in names], "display": [x[3] for x in names],
            "ascii": [x[4] for x in names],
        })  # fmt: skip
        con.register("names_arrow", names_t)
        n = pop.n
        persons = pa.table({
            "p": np.arange(n, dtype=np.int64), "lang": pop.lang, "first": pop.first,
            "last": pop.last, "pattern": pop.email_pattern, "domain": pop.email_domain,
            "num": pop.email_num, "work_domain": pop.work_domain, "work_num": pop.work_num,
            "country": pop.country, "tz": pop.tz, "user_num": pop.user_num.astype(np.int64),
        })  # fmt: skip
        con.register("persons_arrow", persons)
        cap = "upper({x}[1]) || {x}[2:]"
        con.execute(f"""
            create table persons as
            select p.*, fn.display as first_name, ln.display as last_name,
                   fn.ascii as fa, ln.ascii as la,
                   {cap.format(x="fn.ascii")} as fa_cap, {cap.format(x="ln.ascii")} as la_cap,
                   {sql_list(COUNTRY_CODES)}[p.country + 1] as country_code,
                   {sql_list(TZ_NAMES)}[p.tz + 1] as tz_name,
                   {sql_list([d[0] for d in EMAIL_DOMAINS])}[p.domain + 1] as dom,
                   {sql_list(WORK_DOMAINS)}[p.work_domain + 1] as work_dom
            from persons_arrow p
            join names_arrow fn on fn.kind = 'first' and fn.lang = p.lang and fn.idx = p.first
            join names_arrow ln on ln.kind = 'last' and ln.lang = p.lang and ln.idx = p.last
            order by p.p
        """)
        # emails: [0, 2N) personal (primary, work), new primary addresses, family, junk
        local = """case pattern when 0 then {f} || '.' || {l} || {n}
                   when 1 then {f} || {l} || {n} when 2 then {f}[1] || {l} || {n}
                   when 3 then {f} || '_' || {l} || {n} else {l} || '.' || {f} || {n} end"""
        fam = pa.table({
            "f": np.arange(pop.n_families, dtype=np.int64), "num": pop.family_num,
            "domain": pop.family_domain, "pattern": pop.family_pattern,
            "lang": pop.lang[_family_heads(pop)], "last": pop.family_last,
        })  # fmt: skip
        con.register("families_arrow", fam)
        changers = np.flatnonzero(pop.new_email >= 0)
        con.register("new_emails_arrow", pa.table({
            "ref": pop.new_email[changers], "p": changers, "num": pop.new_email_num,
            "domain": pop.new_email_domain,
        }))  # fmt: skip
        junk = pa.table({"j": np.arange(len(JUNK_EMAILS)), "value": list(JUNK_EMAILS)})
        con.register("junk_emails_arrow", junk)
        fam_start, junk_start, _ = pop.email_refs
        con.execute(f"""
            create table emails as
            select *, sha256(lower) as sha from (
            select 2 * p as ref,
                   ({local.format(f="fa", l="la", n="num")}) || '@' || dom as lower,
                   ({local.format(f="fa_cap", l="la_cap", n="num")}) || '@'
                       || upper(dom[1]) || dom[2:] as display
            from persons
            union all
            select 2 * p + 1, fa[1] || '.' || la || work_num || '@' || work_dom,
                   upper(fa[1]) || '.' || la_cap || work_num || '@' || work_dom
            from persons
            union all
            select ref, ({local.format(f="fa", l="la", n="new_num")}) || '@' || new_dom,
                   ({local.format(f="fa_cap", l="la_cap", n="new_num")}) || '@'
                       || upper(new_dom[1]) || new_dom[2:]
            from (select x.ref, x.num as new_num,
                         {sql_list([d[0] for d in EMAIL_DOMAINS])}[x.domain + 1] as new_dom,
                         p.pattern, p.fa, p.la, p.fa_cap, p.la_cap
                  from new_emails_arrow x join persons p on p.p = x.p)
            union all
            select {fam_start} + f.f,
                   lower(case f.pattern when 0 then ln.ascii || 'family' || f.num
                        when 1 then 'the' || ln.ascii || 's' || f.num
                        else ln.ascii || '.household' || f.num end)
                   || '@' || {sql_list(FAMILY_DOMAINS)}[f.domain + 1],
                   (case f.pattern when 0 then {cap.format(x="ln.ascii")} || 'Family'
                        when 1 then 'The' || {cap.format(x="ln.ascii")} || 's'
                        else {cap.format(x="ln.ascii")} || '.Household' end)
                   || f.num || '@' || {sql_list(FAMILY_DOMAINS)}[f.domain + 1]
            from families_arrow f
            join names_arrow ln on ln.kind = 'last' and ln.lang = f.lang and ln.idx = f.last
            union all
            select {junk_start} + j, value, upper(value) from junk_emails_arrow)
        """)
        # phones: each person's number in every variant (phonenumbers' templates)
        templates = phone_templates()
        variant_cols = []
        for v in range(len(PHONE_VARIANTS)):
            cases = " ".join(
                f"when {s} then {_template_sql(templates[s][v])}" for s in range(len(templates))
            )
            variant_cols.append(f"case shape {cases} end as v{v}")
        junk_start = pop.phone_junk_start
        junk_phones = " union all ".join(
            f"select {junk_start + j} as ref, " + ", ".join(f"'{val}' as v{v}"
                                                   for v in range(len(PHONE_VARIANTS)))
            for j, val in enumerate(JUNK_PHONES)
        )  # fmt: skip
        # one number per phone ref: the person's first, then the new numbers of changers
        owner = np.concatenate([np.arange(n), np.flatnonzero(pop.new_phone >= 0)])
        con.register("phones_arrow", pa.table({
            "ref": np.arange(len(owner), dtype=np.int64), "shape": pop.phone_shape[owner],
            "nsn": pop.phone_nsn,
        }))  # fmt: skip
        con.execute(f"""
            create table phones as
            select ref, {", ".join(variant_cols)}
            from (select ref, shape, nsn::varchar as nsn from phones_arrow)
            union all {junk_phones}
        """)
        junk_users = " union all ".join(
            f"select {n + j}, '{v}'" for j, v in enumerate(JUNK_USER_IDS)
        )
        con.execute(f"""
            create table users as
            select p as ref, 'usr_' || lpad(lower(hex(user_num)), 10, '0') as value
            from persons union all {junk_users}
        """)
        c = pop.n_cookies_total
        con.register(
            "cookies_arrow",
            pa.table({"ref": np.arange(c, dtype=np.int64), "num": pop.cookie_num.astype(np.int64)}),
        )
        junk_anons = " union all ".join(
            f"select {c + j}, '{v}'" for j, v in enumerate(JUNK_ANONYMOUS_IDS)
        )
        uuid = (
            "substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-'"
            " || substr(h, 17, 4) || '-' || substr(h, 21, 12)"
        )
        con.execute(f"""
            create table anons as
            select ref, {uuid} as value from (
                select ref, lpad(lower(hex(num)), 16, '0')
                    || lpad(lower(hex(hash(num + 7777))), 16, '0') as h
                from cookies_arrow)
            union all {junk_anons}
        """)
        d = pop.n_devices_total
        t = pop.n_tablets
        con.register("devices_arrow", pa.table({
            "ref": np.arange(d + t, dtype=np.int64),
            "num": np.concatenate([pop.device_num, pop.tablet_num]).astype(np.int64),
            "ios": np.concatenate([pop.device_ios, np.ones(t, dtype=bool)]),
        }))  # fmt: skip
        junk_devices = " union all ".join(
            f"select {d + t + j}, '{v}'" for j, v in enumerate(JUNK_DEVICE_IDS)
        )
        con.execute(f"""
            create table devices as
            select ref, case when ios then upper({uuid}) else substr(h, 1, 16) end as value
            from (select ref, ios, lpad(lower(hex(num)), 16, '0')
                      || lpad(lower(hex(hash(num + 9999))), 16, '0') as h
                  from devices_arrow)
            union all {junk_devices}
        """)
        con.register("products_arrow", pa.table({
            "idx": np.arange(len(catalog.product_id)), "product_id": list(catalog.product_id),
            "category": list(catalog.category), "name": list(catalog.name),
            "price_cents": catalog.price_cents,
        }))  # fmt: skip
        con.execute("create table products as select * from products_arrow order by idx")
        con.register("campaigns_arrow", pa.table({
            "idx": np.arange(len(CAMPAIGNS)), "campaign_id": [c.campaign_id for c in CAMPAIGNS],
        }))  # fmt: skip
        con.execute("create table campaigns as select * from campaigns_arrow order by idx")
        for name in (
            "names_arrow",
            "persons_arrow",
            "families_arrow",
            "new_emails_arrow",
            "phones_arrow",
            "junk_emails_arrow",
            "cookies_arrow",
            "devices_arrow",
            "products_arrow",
            "campaigns_arrow",
        ):
            con.unregister(name)

    # -- writing ---------------------------------------------------------------------
    def _arrays(self) -> None:
        """Dimension strings as Arrow arrays indexed by ref, for take() lookups."""
        con = self.con
        get = lambda sql: con.sql(sql).to_arrow_table()  # noqa: E731
        emails = get("select lower, display, sha from emails order by ref")
        variants = ", ".join(f"v{i}" for i in range(len(PHONE_VARIANTS)))
        self.dim = {
            "email_lower": emails["lower"], "email_display": emails["display"],
            "email_sha": emails["sha"],
            # phone variants flattened: index = ref * len(PHONE_VARIANTS) + variant
            "phone": get(f"select unnest([{variants}]) as v from"
                         " (select * from phones order by ref)")["v"],
            "user": get("select value from users order by ref")["value"],
            "anon": get("select value from anons order by ref")["value"],
            "device": get("select value from devices order by ref")["value"],
            "product_id": get("select product_id from products order by idx")["product_id"],
            "category": get("select category from products order by idx")["category"],
            "product_name": get("select name from products order by idx")["name"],
            "campaign_id": get("select campaign_id from campaigns order by idx")["campaign_id"],
            "first_name": get("select first_name from persons order by p")["first_name"],
            "last_name": get("select last_name from persons order by p")["last_name"],
            "country_code": get("select country_code from persons order by p")["country_code"],
            "tz_name": get("select tz_name from persons order by p")["tz_name"],
        }  # fmt: skip
        for name, arr in self.dim.items():
            self.dim[name] = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr

    def take(self, dim: str, ref: np.ndarray) -> pa.Array:
        """dim[ref], null where ref < 0."""
        ref = np.asarray(ref)
        return self.dim[dim].take(pa.array(ref, mask=ref < 0, type=pa.int64()))

    def write(
        self,
        table: str,
        parts: list[Frame],
        out_dir: Path,
        fmt: str,
        con: duckdb.DuckDBPyConnection | None = None,
    ) -> int:
        """Render the frames in `parts` (in order) as contract table `table` into
        out_dir/<table>.<fmt>; `con` lets a background thread use its own cursor.

        Lookups are Arrow takes, so the SELECT is a plain projection: DuckDB keeps the
        row order (preserve_insertion_order) and the files are byte-identical per seed.
        """
        con = con or self.con
        arrow = pa.concat_tables(
            [self._arrow(table, p) for p in parts if len(p)] or [self._arrow(table, parts[0])]
        )
        con.register("r_arrow", arrow)
        path = out_dir / f"{table}.{fmt}"
        options = "(format parquet, compression snappy)" if fmt == "parquet" else (
            "(format csv, header true)")  # fmt: skip
        con.execute(f"copy ({SELECTS[table]()}) to '{path}' {options}")
        con.unregister("r_arrow")
        return arrow.num_rows

    def _arrow(self, table: str, frame: Frame) -> pa.Table:
        cols: dict[str, pa.Array | np.ndarray] = dict(frame)
        n_variants = len(PHONE_VARIANTS)
        for col, dims in LOOKUPS[table]:
            ref = frame[col]
            for dim in dims:
                if dim == "phone":
                    variant = frame.get("phone_variant", 0)
                    key = np.where(ref >= 0, ref * n_variants + variant, -1)
                    cols[f"{col}_phone"] = self.take("phone", key)
                else:
                    cols[f"{col}_{dim}"] = self.take(dim, ref)
        return pa.table(cols)


def _template_sql(template: list[str | int]) -> str:
    """SQL concatenating literal characters and substrings of the nsn column."""
    parts: list[str] = []
    i = 0
    while i < len(template):
        tok = template[i]
        if isinstance(tok, int):
            j = i
            while (
                j + 1 < len(template)
                and template[j + 1] == template[j] + 1
                and isinstance(template[j + 1], int)
            ):
                j += 1
            parts.append(f"substr(nsn, {tok + 1}, {j - i + 1})")
            i = j + 1
        else:
            j = i
            while j + 1 < len(template) and isinstance(template[j + 1], str):
                j += 1
            parts.append("'" + "".join(template[i : j + 1]) + "'")
            i = j + 1
    return " || ".join(parts)


def _family_heads(pop: Population) -> np.ndarray:
    members = np.flatnonzero(pop.family >= 0)
    order = np.argsort(pop.family[members], kind="stable")
    members = members[order]
    fam = pop.family[members]
    first = np.ones(len(fam), dtype=bool)
    first[1:] = fam[1:] != fam[:-1]
    return members[first]


# ---------------------------------------------------------------------------------------
# one SELECT per contract table over `r` (the frame plus its looked-up strings), columns
# in contract order; no joins, so DuckDB keeps the frame's row order

EMAIL = ("email_lower", "email_display")
LOOKUPS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "crm_contacts": (("email", EMAIL), ("phone", ("phone",)),
                     ("person", ("first_name", "last_name", "country_code", "tz_name"))),
    "web_events": (("anon", ("anon",)), ("user", ("user",)), ("email", EMAIL),
                   ("product", ("product_id",)), ("utm_campaign", ("campaign_id",)),
                   ("landing", ("campaign_id",))),
    "app_events": (("device", ("device",)), ("user", ("user",)), ("product", ("product_id",))),
    "orders": (("user", ("user",)), ("email", EMAIL), ("phone", ("phone",)),
               ("anon", ("anon",)), ("device", ("device",))),
    "order_items": (("product", ("product_id", "category")),),
    "products": (("product", ("product_id", "category", "product_name")),),
    "email_events": (("campaign", ("campaign_id",)), ("email", EMAIL)),
    "sms_events": (("campaign", ("campaign_id",)), ("phone", ("phone",))),
    "push_events": (("campaign", ("campaign_id",)), ("device", ("device",))),
    "chat_events": (("anon", ("anon",)), ("user", ("user",)), ("email", EMAIL),
                    ("campaign", ("campaign_id",))),
    "ad_events": (("campaign", ("campaign_id",)), ("email", ("email_sha",)),
                  ("anon", ("anon",))),
    "support_tickets": (("user", ("user",)), ("email", EMAIL)),
    "consent_events": (("user", ("user",)), ("email", EMAIL), ("phone", ("phone",)),
                       ("device", ("device",))),
}  # fmt: skip


def email_sql(col: str = "email", variant: str = "r.email_variant") -> str:
    lower, display = f"r.{col}_email_lower", f"r.{col}_email_display"
    return (
        f"(case {variant} when 0 then {lower} when 1 then {display}"
        f" when 2 then ' ' || {display} || ' ' when 3 then upper({lower})"
        f" when 4 then {lower} || ' ' else ' ' || {lower} end)"
    )


def _page_url() -> str:
    paths = {
        "home": "'/'", "category": f"'/c/' || {sql_list(CATEGORY_NAMES)}[r.page_arg + 1]",
        "product": "'/p/' || r.product_product_id", "cart": "'/cart'",
        "checkout": "'/checkout'", "login": "'/account/login'", "newsletter": "'/newsletter'",
        "unsubscribe": "'/email/unsubscribe'",
        "landing": "'/campaigns/' || replace(r.landing_campaign_id, '_', '-')",
        "signup": "'/account/signup'",
    }  # fmt: skip
    cases = " ".join(f"when {i} then {paths[name]}" for i, name in enumerate(PAGES))
    query = ("case when r.utm >= 0 then '?utm_source=' || " + lookup_sql([u[0] for u in UTM],
             "r.utm") + " || '&utm_medium=' || " + lookup_sql([u[1] for u in UTM], "r.utm")
             + " || '&utm_campaign=' || r.utm_campaign_campaign_id else '' end")  # fmt: skip
    return f"'{SITE}' || (case r.page {cases} end) || {query}"


def _crm() -> str:
    name = (
        "(case {v} when 0 then {x} when 1 then upper({x}) when 2 then lower({x})"
        " else ' ' || {x} || ' ' end)"
    )
    return f"""
        select {key_sql("'003' || upper(lpad(hex(r.kid), 12, '0'))")} as contact_id,
               {email_sql()} as email, r.phone_phone as phone,
               {name.format(v="r.first_variant", x="r.person_first_name")} as first_name,
               {name.format(v="r.last_variant", x="r.person_last_name")} as last_name,
               case when r.country_blank then null else r.person_country_code end as country,
               case when r.tz_blank then null else r.person_tz_name end as timezone,
               {ts_sql("r.created", "r.tf", "r.off", "null")} as created_at,
               {ts_sql("r.ts")} as updated_at
        from r_arrow r
    """


def _web() -> str:
    return f"""
        select {key_sql(hex_id("web_", "r.kid"))} as event_id,
               r.anon_anon as anonymous_id, r.user_user as user_id, {email_sql()} as email,
               {enum_sql(WEB_EVENT_TYPES, "r.event")} as event_type,
               r.product_product_id as product_id, {_page_url()} as page_url,
               {lookup_sql([u[0] for u in UTM], "r.utm")} as utm_source,
               {lookup_sql([u[1] for u in UTM], "r.utm")} as utm_medium,
               r.utm_campaign_campaign_id as utm_campaign, {ts_sql()} as occurred_at
        from r_arrow r
    """


def _app() -> str:
    return f"""
        select {key_sql(hex_id("app_", "r.kid"))} as event_id, r.device_device as device_id,
               r.user_user as user_id, {enum_sql(APP_EVENT_TYPES, "r.event")} as event_type,
               r.product_product_id as product_id, {ts_sql()} as occurred_at
        from r_arrow r
    """


def _orders() -> str:
    return f"""
        select {key_sql("'ORD-' || r.order_no")} as order_id, r.user_user as user_id,
               {email_sql()} as email, r.phone_phone as phone,
               r.anon_anon as anonymous_id, r.device_device as device_id,
               {enum_sql(ORDER_STATUSES, "r.status")} as status,
               '{CURRENCY}' as currency,
               (r.total_cents / 100)::decimal(18, 2) as order_total,
               {lookup_sql(SALES_CHANNELS, "r.channel")} as sales_channel,
               {ts_sql()} as ordered_at
        from r_arrow r
    """


def _items() -> str:
    return f"""
        select {key_sql("'ORD-' || r.order_no")} as order_id,
               r.line::integer as line_number, r.product_product_id as product_id,
               r.product_category as category, r.quantity::integer as quantity,
               (r.unit_cents / 100)::decimal(18, 2) as unit_price
        from r_arrow r
    """


def _products() -> str:
    product_id = "coalesce(case when r.alt_id >= 0 then 'PX' || r.alt_id end, r.product_product_id)"
    return f"""
        select {key_sql(product_id)} as product_id, r.product_category as category,
               r.product_product_name as name,
               (r.price_cents / 100)::decimal(18, 2) as price
        from r_arrow r
    """


def _email() -> str:
    campaign = "r.campaign_campaign_id"
    url = (f"case r.url when 0 then '{SITE}/campaigns/' || replace({campaign}, '_', '-')"
           f" || '?utm_source=email&utm_medium=email&utm_campaign=' || {campaign}"
           f" when 1 then '{SITE}/email/unsubscribe?utm_source=email&utm_medium=email"
           f"&utm_campaign=' || {campaign} end")  # fmt: skip
    return f"""
        select {key_sql(hex_id("em_", "r.kid"))} as event_id,
               {hex_id("<", "r.msg")} || '@mail.trailhead.example>' as message_id,
               {campaign} as campaign_id, {email_sql()} as email,
               {enum_sql(EMAIL_EVENT_TYPES, "r.event")} as event_type, {url} as url,
               {ts_sql()} as occurred_at
        from r_arrow r
    """


def _sms() -> str:
    return f"""
        select {key_sql(hex_id("EV", "r.kid"))} as event_id,
               case when r.send >= 0 then {hex_id("SM", "r.msg")} end as message_id,
               r.campaign_campaign_id as campaign_id, r.phone_phone as phone,
               {enum_sql(SMS_EVENT_TYPES, "r.event")} as event_type,
               {lookup_sql(SMS_BODIES, "r.body")} as body, {ts_sql()} as occurred_at
        from r_arrow r
    """


def _push() -> str:
    return f"""
        select {key_sql(hex_id("pe_", "r.kid"))} as event_id,
               {hex_id("pm_", "r.msg")} as message_id, r.campaign_campaign_id as campaign_id,
               r.device_device as device_id,
               {enum_sql(PUSH_EVENT_TYPES, "r.event")} as event_type, {ts_sql()} as occurred_at
        from r_arrow r
    """


def _chat() -> str:
    return f"""
        select {key_sql(hex_id("ce_", "r.kid"))} as event_id,
               {hex_id("conv_", "r.conv")} as conversation_id,
               r.anon_anon as anonymous_id, r.user_user as user_id, {email_sql()} as email,
               {enum_sql(CHAT_EVENT_TYPES, "r.event")} as event_type,
               {lookup_sql(CHAT_TOPICS, "r.topic")} as topic,
               case when not isnan(r.sentiment) then round(r.sentiment::double, 3) end
                   as sentiment,
               case r.complaint when 1 then true when 0 then false end as is_complaint,
               r.campaign_campaign_id as campaign_id, {ts_sql()} as occurred_at
        from r_arrow r
    """


def _ads() -> str:
    return f"""
        select {key_sql(hex_id("ad_", "r.kid"))} as event_id,
               {lookup_sql(PLATFORMS, "r.platform")} as platform,
               r.campaign_campaign_id as campaign_id, r.email_email_sha as email_sha256,
               r.anon_anon as anonymous_id, {enum_sql(AD_EVENT_TYPES, "r.event")} as event_type,
               r.cost::decimal(18, 4) as cost, {ts_sql()} as occurred_at
        from r_arrow r
    """


def _tickets() -> str:
    return f"""
        select {key_sql("'TCK-' || lpad((r.kid + 1)::varchar, 7, '0')")} as ticket_id,
               r.user_user as user_id, {email_sql()} as email,
               {lookup_sql(TICKET_CATEGORIES, "r.category")} as category,
               r.complaint as is_complaint,
               case when r.csat <> -1 then r.csat::integer end as csat,
               {ts_sql()} as opened_at,
               case when r.resolved >= 0 then {ts_sql("r.resolved", "r.tf", "r.off", "null")}
               end as resolved_at
        from r_arrow r
    """


def _consent() -> str:
    channel = enum_sql(CONSENT_CHANNELS, "r.channel", BOGUS_CHANNEL)
    return f"""
        select {key_sql(hex_id("cs_", "r.kid"))} as event_id, r.user_user as user_id,
               {email_sql()} as email, r.phone_phone as phone, r.device_device as device_id,
               case r.channel_case when 1 then upper({channel}[1]) || {channel}[2:]
                    when 2 then upper({channel}) else {channel} end as channel,
               {enum_sql(CONSENT_STATUSES, "r.status")} as status,
               {lookup_sql(CONSENT_SOURCES, "r.source")} as source,
               {ts_sql()} as occurred_at,
               {lookup_sql(CONSENT_PURPOSES, "r.purpose")} as purpose
        from r_arrow r
    """


SELECTS = {
    "crm_contacts": _crm, "web_events": _web, "app_events": _app, "orders": _orders,
    "order_items": _items, "products": _products, "email_events": _email,
    "sms_events": _sms, "push_events": _push, "chat_events": _chat, "ad_events": _ads,
    "support_tickets": _tickets, "consent_events": _consent,
}  # fmt: skip


def scramble(values: np.ndarray, key: int, bits: int = 60) -> np.ndarray:
    """Ids that look random but stay unique: a keyed bijection, top bit set for width."""
    return (perm_bits(values, bits, key) | np.uint64(1 << bits)).astype(np.int64)
