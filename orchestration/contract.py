"""The raw input contract (docs/input-contract.md) as data: one place that the generator,
the loader, the Great Expectations suites and the tests all read.

Raw tables keep identifiers as they arrive (messy emails and phones, ids as strings);
normalization belongs to dbt staging. The loader only checks what would make a row
meaningless: required columns present, keys present, values castable to their type,
enums known (case-insensitively), amounts and quantities not negative.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

# Physical types of loaded raw columns (DuckDB names). Timestamps are stored as naive
# TIMESTAMP in UTC: an input value with an offset is converted, one without is UTC.
STRING = "VARCHAR"
TIMESTAMP = "TIMESTAMP"
MONEY = "DECIMAL(18,2)"
COST = "DECIMAL(18,4)"
INTEGER = "INTEGER"
DOUBLE = "DOUBLE"
BOOLEAN = "BOOLEAN"


@dataclass(frozen=True)
class Column:
    name: str
    type: str = STRING
    not_null: bool = False  # a null/blank value makes the row a reject (keys, event time)
    enum: tuple[str, ...] | None = None  # accepted values, compared lower(trim(value))
    min_value: float | None = None  # inclusive lower bound (amounts, quantities)
    max_value: float | None = None
    required: bool = True  # the column must exist in the file's header
    description: str = ""
    # the value points at a person (an email, a phone, a name, a person's id, free text
    # they wrote): masked wherever the CLI shows rows (rejected-row samples)
    pii: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    system: str  # source system: the dbt source name and staging folder
    grain: str
    key: tuple[str, ...]
    time_column: str  # the column that places a row in time (freshness, as_of filter)
    columns: tuple[Column, ...]
    # entity tables may be re-exported with changed values (an order becomes refunded):
    # a reload replaces the stored version; event tables are immutable and skip duplicates
    mutable: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")


WEB_EVENT_TYPES = (
    "page_view",
    "product_view",
    "add_to_cart",
    "checkout_started",
    "identify",
    "form_submit",
    "unsubscribe_page_view",
)
APP_EVENT_TYPES = ("app_open", "product_view", "add_to_cart", "push_opened")
EMAIL_EVENT_TYPES = (
    "sent",
    "delivered",
    "opened",
    "clicked",
    "bounced",
    "complained",
    "unsubscribed",
)
SMS_EVENT_TYPES = ("sent", "delivered", "failed", "clicked", "replied", "opted_out", "opted_in")
PUSH_EVENT_TYPES = ("sent", "delivered", "opened", "dismissed")
CHAT_EVENT_TYPES = ("started", "message", "prompt_shown", "prompt_clicked", "resolved")
AD_EVENT_TYPES = ("impression", "click")
ORDER_STATUSES = ("completed", "refunded", "cancelled")
CONSENT_CHANNELS = ("email", "sms", "push", "chat", "ads", "all")
CONSENT_STATUSES = ("opted_in", "opted_out")
CONSENT_PURPOSES = ("marketing", "transactional")
CHANNELS = ("email", "sms", "push", "chat", "ads")

C = Column
TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "crm_contacts",
            "crm",
            "One CRM record; a person may have several.",
            ("contact_id",),
            "updated_at",
            (
                C("contact_id", not_null=True, pii=True),
                C("email", pii=True),
                C("phone", pii=True),
                C("first_name", pii=True),
                C("last_name", pii=True),
                C("country"),
                C("timezone"),
                C("created_at", TIMESTAMP, not_null=True),
                C("updated_at", TIMESTAMP, not_null=True),
            ),
            mutable=True,
        ),
        Table(
            "web_events",
            "web",
            "One tracked web event.",
            ("event_id",),
            "occurred_at",
            (
                C("event_id", not_null=True),
                C("anonymous_id", pii=True),
                C("user_id", pii=True),
                C("email", pii=True),
                C("event_type", not_null=True, enum=WEB_EVENT_TYPES),
                C("product_id"),
                C("page_url"),
                C("utm_source"),
                C("utm_medium"),
                C("utm_campaign"),
                C("occurred_at", TIMESTAMP, not_null=True),
            ),
        ),
        Table(
            "app_events",
            "app",
            "One mobile-app event.",
            ("event_id",),
            "occurred_at",
            (
                C("event_id", not_null=True),
                C("device_id", pii=True),
                C("user_id", pii=True),
                C("event_type", not_null=True, enum=APP_EVENT_TYPES),
                C("product_id"),
                C("occurred_at", TIMESTAMP, not_null=True),
            ),
        ),
        Table(
            "orders",
            "shop",
            "One order.",
            ("order_id",),
            "ordered_at",
            (
                C("order_id", not_null=True),
                C("user_id", pii=True),
                C("email", pii=True),
                C("phone", pii=True),
                C("anonymous_id", pii=True),
                C("device_id", pii=True),
                C("status", not_null=True, enum=ORDER_STATUSES),
                C("currency"),
                C("order_total", MONEY, not_null=True, min_value=0),
                C("sales_channel"),
                C("ordered_at", TIMESTAMP, not_null=True),
            ),
            mutable=True,
        ),
        Table(
            "order_items",
            "shop",
            "One order line.",
            ("order_id", "line_number"),
            "",
            (
                C("order_id", not_null=True),
                C("line_number", INTEGER, not_null=True, min_value=1),
                C("product_id"),
                C("category"),
                C("quantity", INTEGER, not_null=True, min_value=0),
                C("unit_price", MONEY, min_value=0),
            ),
            mutable=True,
        ),
        Table(
            "products",
            "shop",
            "One product.",
            ("product_id",),
            "",
            (
                C("product_id", not_null=True),
                C("category"),
                C("name"),
                C("price", MONEY, min_value=0),
            ),
            mutable=True,
        ),
        Table(
            "email_events",
            "email",
            "One email-provider event.",
            ("event_id",),
            "occurred_at",
            (
                C("event_id", not_null=True),
                C("message_id"),
                C("campaign_id"),
                C("email", pii=True),
                C("event_type", not_null=True, enum=EMAIL_EVENT_TYPES),
                C("url"),
                C("occurred_at", TIMESTAMP, not_null=True),
            ),
        ),
        Table(
            "sms_events",
            "sms",
            "One SMS-provider event.",
            ("event_id",),
            "occurred_at",
            (
                C("event_id", not_null=True),
                C("message_id"),
                C("campaign_id"),
                C("phone", pii=True),
                C("event_type", not_null=True, enum=SMS_EVENT_TYPES),
                C("body", pii=True),
                C("occurred_at", TIMESTAMP, not_null=True),
            ),
        ),
        Table(
            "push_events",
            "push",
            "One push-provider event.",
            ("event_id",),
            "occurred_at",
            (
                C("event_id", not_null=True),
                C("message_id"),
                C("campaign_id"),
                C("device_id", pii=True),
                C("event_type", not_null=True, enum=PUSH_EVENT_TYPES),
                C("occurred_at", TIMESTAMP, not_null=True),
            ),
        ),
        Table(
            "chat_events",
            "chat",
            "One chat event.",
            ("event_id",),
            "occurred_at",
            (
                C("event_id", not_null=True),
                C("conversation_id"),
                C("anonymous_id", pii=True),
                C("user_id", pii=True),
                C("email", pii=True),
                C("event_type", not_null=True, enum=CHAT_EVENT_TYPES),
                C("topic"),
                C("sentiment", DOUBLE, min_value=-1, max_value=1),
                C("is_complaint", BOOLEAN),
                C("campaign_id"),
                C("occurred_at", TIMESTAMP, not_null=True),
            ),
        ),
        Table(
            "ad_events",
            "ads",
            "One paid-media impression or click.",
            ("event_id",),
            "occurred_at",
            (
                C("event_id", not_null=True),
                C("platform"),
                C("campaign_id"),
                C("email_sha256", pii=True),
                C("anonymous_id", pii=True),
                C("event_type", not_null=True, enum=AD_EVENT_TYPES),
                C("cost", COST, min_value=0),
                C("occurred_at", TIMESTAMP, not_null=True),
            ),
        ),
        Table(
            "support_tickets",
            "support",
            "One support ticket.",
            ("ticket_id",),
            "opened_at",
            (
                C("ticket_id", not_null=True),
                C("user_id", pii=True),
                C("email", pii=True),
                C("category"),
                C("is_complaint", BOOLEAN),
                C("csat", INTEGER, min_value=1, max_value=5),
                C("opened_at", TIMESTAMP, not_null=True),
                C("resolved_at", TIMESTAMP),
            ),
            mutable=True,
        ),
        Table(
            "consent_events",
            "consent",
            "One consent change.",
            ("event_id",),
            "occurred_at",
            (
                C("event_id", not_null=True),
                C("user_id", pii=True),
                C("email", pii=True),
                C("phone", pii=True),
                C("device_id", pii=True),
                C("channel", not_null=True, enum=CONSENT_CHANNELS),
                C("status", not_null=True, enum=CONSENT_STATUSES),
                C("source"),
                C("occurred_at", TIMESTAMP, not_null=True),
                C("purpose", enum=CONSENT_PURPOSES, required=False),
            ),
        ),
    )
}


class UnknownTableError(ValueError):
    """A table name that is not in the contract; the message names it, suggests the
    closest name and lists the valid ones."""


def parse_tables(values: Iterable[str] | None) -> list[str] | None:
    """Raw table names as a user gives them (`--table orders --table products` or
    `--table orders,products`): split on commas, trimmed, case-insensitive, duplicates
    dropped, in the order given. None or nothing given means every table (None)."""
    given = [values] if isinstance(values, str) else list(values or [])
    names = [n.strip().lower() for value in given for n in value.split(",")]
    names = [n for n in names if n]
    if not names:
        if given:  # `--table ""` or `--table ,`: a slip, not "every table"
            raise UnknownTableError(
                f"no raw table name given; the raw tables are: {', '.join(TABLES)}"
            )
        return None
    unknown = [n for n in dict.fromkeys(names) if n not in TABLES]
    if unknown:
        problems = []
        for name in unknown:
            close = difflib.get_close_matches(name, TABLES, n=1, cutoff=0.6)
            problems.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise UnknownTableError(
            f"unknown raw table {', '.join(problems)}; the raw tables are: {', '.join(TABLES)}"
        )
    return list(dict.fromkeys(names))


def parse_table(value: str) -> str:
    """One raw table name (trimmed, case-insensitive), for APIs that take a single table;
    UnknownTableError for an unknown name or a list."""
    names = parse_tables([value])
    if not names or len(names) != 1:
        raise UnknownTableError(
            f"expected one raw table name, got {value!r}; the raw tables are: {', '.join(TABLES)}"
        )
    return names[0]


# Reject reasons the loader writes to raw.rejected_rows.reason (a stable vocabulary:
# summaries group by it, tests assert each one). The reason text adds the column.
REJECT_REASONS = (
    "malformed_row",  # CSV structure: wrong number of fields, broken quoting
    "missing_value",  # a not-null column (key, event time, event type) is blank
    "invalid_type",  # a value that does not cast to the column's type
    "unknown_value",  # a value outside the column's enum
    "out_of_range",  # below min_value / above max_value (negative quantity, csat 9)
    "duplicate_key",  # the same key twice in one load
)

# Seeds authored by marketers; the generator writes their content for the sample business.
SEED_COLUMNS = {
    "campaigns": (
        "campaign_id",
        "name",
        "objective",
        "topic",
        "promotion_family",
        "product_id",
        "category",
        "offer_code",
        "discount_pct",
        "business_value",
        "urgency",
        "allowed_channels",
        "content_format",
        "audience",
        "starts_at",
        "ends_at",
    ),
    "journey_steps": (
        "journey_id",
        "step",
        "campaign_id",
        "wait_hours",
        "stale_after_hours",
        "condition",
        "exit_on",
    ),
}
CAMPAIGN_OBJECTIVES = (
    "acquisition",
    "conversion",
    "retention",
    "winback",
    "upsell",
    "newsletter",
    "transactional",
)
CONTENT_FORMATS = ("rich", "short", "conversational")
JOURNEY_CONDITIONS = ("always", "not_opened", "opened_not_clicked", "clicked_not_purchased")
