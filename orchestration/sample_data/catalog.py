"""The sample business's static configuration: product catalog, campaigns and journeys.

These are the same for every seed (a marketer's configuration does not depend on which
customers happened to show up), so the committed dbt seeds stay valid for any generated
data set. Only dates move with `end`: seasonal campaigns sit at fixed offsets before it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from orchestration.contract import (
    CAMPAIGN_OBJECTIVES,
    CHANNELS,
    CONTENT_FORMATS,
    JOURNEY_CONDITIONS,
    SEED_COLUMNS,
)

DEFAULT_END = datetime(2026, 11, 1, tzinfo=UTC)
SEED_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"  # naive = UTC, which DuckDB seeds infer as TIMESTAMP

# ---------------------------------------------------------------------------------------
# products

# (category, share of catalog, median price in USD, price spread (lognormal sigma), nouns)
CATEGORIES: tuple[tuple[str, float, float, float, tuple[str, ...]], ...] = (
    ("apparel", 0.20, 45.0, 0.45, ("Tee", "Hoodie", "Fleece", "Shirt", "Jacket", "Pants")),
    ("footwear", 0.12, 95.0, 0.35, ("Trail Runner", "Hiking Boot", "Sandal", "Sneaker")),
    ("outdoor_gear", 0.12, 120.0, 0.60, ("Tent", "Sleeping Bag", "Backpack", "Trekking Poles")),
    ("camping", 0.10, 35.0, 0.55, ("Stove", "Lantern", "Mug", "Cookset", "Hammock")),
    ("accessories", 0.12, 25.0, 0.50, ("Cap", "Beanie", "Gloves", "Socks", "Sunglasses")),
    ("bags", 0.08, 60.0, 0.45, ("Duffel", "Daypack", "Tote", "Sling")),
    ("home", 0.08, 40.0, 0.50, ("Blanket", "Candle", "Mug Set", "Throw Pillow")),
    ("beauty", 0.06, 18.0, 0.40, ("Sunscreen", "Lip Balm", "Body Wash", "Insect Repellent")),
    ("electronics", 0.06, 150.0, 0.70, ("Headlamp", "GPS Watch", "Power Bank", "Action Cam")),
    ("kids", 0.06, 30.0, 0.45, ("Kids Jacket", "Kids Boot", "Kids Backpack", "Kids Tee")),
)
CATEGORY_NAMES: tuple[str, ...] = tuple(c[0] for c in CATEGORIES)
N_PRODUCTS = 300
_ADJECTIVES = (
    "Alpine", "Summit", "Ridge", "Canyon", "Cedar", "Harbor", "Glacier", "Meadow", "Coastal",
    "Granite", "Aurora", "Timber", "Sierra", "Tundra", "Prairie", "Boulder", "Juniper", "Mesa",
)  # fmt: skip
CATALOG_SEED = 20_260_101  # fixed: the catalog is part of the business, not of a sample


@dataclass(frozen=True)
class Catalog:
    product_id: np.ndarray  # str
    category_idx: np.ndarray  # int, index into CATEGORY_NAMES
    name: np.ndarray  # str
    price_cents: np.ndarray  # int64

    @property
    def category(self) -> np.ndarray:
        return np.asarray(CATEGORY_NAMES, dtype=object)[self.category_idx]

    def in_category(self, category: str) -> np.ndarray:
        return np.flatnonzero(self.category_idx == CATEGORY_NAMES.index(category))


def product_catalog() -> Catalog:
    """A few hundred products: ids P0001.., a category each, a name and a .99 price."""
    rng = np.random.Generator(np.random.PCG64(CATALOG_SEED))
    shares = np.array([c[1] for c in CATEGORIES])
    counts = np.floor(shares / shares.sum() * N_PRODUCTS).astype(int)
    counts[0] += N_PRODUCTS - counts.sum()
    category_idx = np.repeat(np.arange(len(CATEGORIES)), counts)
    # interleave categories so P0001.. is not one long block of apparel
    category_idx = category_idx[rng.permutation(N_PRODUCTS)]
    names, prices = [], []
    seen_in_category = np.zeros(len(CATEGORIES), dtype=int)
    for cat in category_idx:
        _, _, median, sigma, nouns = CATEGORIES[cat]
        k = seen_in_category[cat]
        seen_in_category[cat] += 1
        # (adjective, noun) pairs never repeat inside a category: names stay unique
        adjective = _ADJECTIVES[(k // len(nouns) + 5 * cat) % len(_ADJECTIVES)]
        names.append(f"{adjective} {nouns[k % len(nouns)]}")
        dollars = max(4.0, float(np.round(median * np.exp(sigma * rng.standard_normal()))))
        prices.append(int(dollars) * 100 - 1)  # x.99 pricing
    ids = np.array([f"P{i + 1:04d}" for i in range(N_PRODUCTS)], dtype=object)
    return Catalog(ids, category_idx, np.array(names, dtype=object), np.array(prices, np.int64))


# ---------------------------------------------------------------------------------------
# campaigns

EVERGREEN = "evergreen"


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    name: str
    objective: str
    topic: str
    promotion_family: str = ""
    product_id: str = ""
    category: str = ""
    offer_code: str = ""
    discount_pct: int | None = None
    business_value: float = 10.0  # expected margin per conversion, USD
    urgency: str = "low"  # low | medium | high
    allowed_channels: tuple[str, ...] = ("email",)
    content_format: str = "rich"
    audience: str = "all"
    # window: EVERGREEN, or (start, end) offsets in days relative to `end`
    window: str | tuple[int, int] = EVERGREEN
    # how the historical (pre-Chorus) tools sent it: "broadcast" drops, a journey step,
    # "ads" (paid media), "chat" (on-site prompts) or "none" (configured, not yet used)
    mode: str = "broadcast"
    # broadcast drops: days (relative to the campaign start or the window) between drops
    drop_every_days: int = 0
    # share of the eligible audience a drop reaches (before the per-person pressure)
    reach: float = 0.0


# The audience names are short rule names the decisioning layer implements:
AUDIENCES = (
    "all",  # every contactable customer
    "prospects",  # no order yet
    "new_signups",  # CRM record created in the last 30 days
    "new_customers",  # first order in the last 30 days
    "customers",  # at least one order
    "recent_purchasers",  # an order in the last 14 days
    "cart_abandoners",  # add_to_cart without an order in the following hour
    "product_viewers",  # viewed the promoted product/category in the last 14 days
    "lapsed_90d",  # customers without an order in the last 90 days
    "app_users",  # has an app device
)

CAMPAIGNS: tuple[Campaign, ...] = (
    # --- journeys -----------------------------------------------------------------
    Campaign("welcome_intro", "Welcome to Trailhead & Co", "acquisition", "welcome",
             allowed_channels=("email", "push"), audience="new_signups", mode="journey",
             business_value=8.0),
    Campaign("welcome_reminder", "Welcome: finish your profile", "acquisition", "welcome",
             allowed_channels=("sms", "push", "email"), content_format="short",
             audience="new_signups", mode="journey", business_value=5.0),
    Campaign("welcome_offer", "Welcome: 10% off your first order", "conversion", "welcome",
             promotion_family="welcome_offer", offer_code="WELCOME10", discount_pct=10,
             allowed_channels=("email", "sms", "push"), audience="new_signups",
             urgency="medium", mode="journey", business_value=18.0),
    Campaign("cart_reminder", "You left something behind", "conversion", "cart",
             allowed_channels=("email", "push", "sms"), content_format="short",
             audience="cart_abandoners", urgency="high", mode="journey", business_value=22.0),
    Campaign("cart_offer", "Still thinking? 10% off your cart", "conversion", "cart",
             promotion_family="cart_recovery", offer_code="CART10", discount_pct=10,
             allowed_channels=("email", "sms"), content_format="short",
             audience="cart_abandoners", urgency="high", mode="journey", business_value=20.0),
    Campaign("cart_chat_assist", "Questions about your cart? Chat with us", "conversion",
             "cart", allowed_channels=("chat", "email"), content_format="conversational",
             audience="cart_abandoners", urgency="medium", mode="journey",
             business_value=15.0),
    Campaign("winback_15", "We miss you: 15% off", "winback", "winback",
             promotion_family="winback", offer_code="COMEBACK15", discount_pct=15,
             allowed_channels=("email", "sms", "push"), audience="lapsed_90d",
             urgency="medium", drop_every_days=21, reach=0.35, business_value=25.0),
    Campaign("winback_20", "Last chance: 20% off to come back", "winback", "winback",
             promotion_family="winback", offer_code="COMEBACK20", discount_pct=20,
             allowed_channels=("sms", "email"), content_format="short", audience="lapsed_90d",
             urgency="high", drop_every_days=30, reach=0.25, business_value=22.0),
    Campaign("winback_ads", "Winback audience on paid social", "winback", "winback",
             allowed_channels=("ads",), content_format="short", audience="lapsed_90d",
             mode="ads", business_value=20.0),
    Campaign("order_confirmation", "Your order is confirmed", "transactional", "order_status",
             allowed_channels=("email", "sms"), content_format="short",
             audience="recent_purchasers", urgency="high", mode="journey",
             business_value=0.0),
    Campaign("shipping_update", "Your order is on its way", "transactional", "order_status",
             allowed_channels=("sms", "push", "email"), content_format="short",
             audience="recent_purchasers", urgency="high", mode="journey",
             business_value=0.0),
    Campaign("post_purchase_cross_sell", "Complete the look", "upsell", "cross_sell",
             category="accessories", allowed_channels=("email", "push"),
             audience="recent_purchasers", mode="journey", business_value=12.0),
    # --- evergreen broadcasts -------------------------------------------------------
    Campaign("newsletter_weekly", "The Trailhead Weekly", "newsletter", "newsletter",
             allowed_channels=("email",), audience="all", drop_every_days=7, reach=0.55,
             business_value=4.0),
    Campaign("app_weekly_picks", "Weekly picks in the app", "newsletter", "newsletter",
             allowed_channels=("push",), content_format="short", audience="app_users",
             drop_every_days=7, reach=0.45, business_value=3.0),
    Campaign("loyalty_rewards", "Your rewards balance", "retention", "loyalty",
             allowed_channels=("email", "push", "sms"), audience="customers",
             drop_every_days=14, reach=0.35, business_value=9.0),
    Campaign("upsell_juniper_tent", "Upgrade to the Juniper tent", "upsell", "gear_upgrade",
             product_id="P0214", category="outdoor_gear", promotion_family="gear_upgrade",
             offer_code="UPGRADE10", discount_pct=10, allowed_channels=("email", "push", "chat"),
             audience="customers", drop_every_days=28, reach=0.30, business_value=35.0),
    Campaign("price_drop_alert", "Price drop on something you viewed", "conversion",
             "price_drop", allowed_channels=("push", "email"), content_format="short",
             audience="product_viewers", urgency="high", drop_every_days=10, reach=0.20,
             business_value=14.0),
    Campaign("back_in_stock", "Back in stock", "conversion", "back_in_stock",
             allowed_channels=("push", "sms"), content_format="short",
             audience="product_viewers", urgency="medium", drop_every_days=12, reach=0.15,
             business_value=12.0),
    Campaign("referral_invite", "Give $15, get $15", "acquisition", "referral",
             promotion_family="referral", offer_code="FRIEND15", allowed_channels=("email",),
             audience="customers", drop_every_days=45, reach=0.30, business_value=15.0),
    Campaign("prospecting_ads", "Prospecting on paid social and search", "acquisition",
             "brand", allowed_channels=("ads",), content_format="short", audience="prospects",
             mode="ads", business_value=10.0),
    Campaign("retargeting_ads", "Retargeting product viewers", "conversion", "retargeting",
             allowed_channels=("ads",), content_format="short", audience="product_viewers",
             mode="ads", business_value=16.0),
    Campaign("chat_help_prompt", "Need help choosing? Ask us", "conversion", "product_help",
             allowed_channels=("chat",), content_format="conversational", audience="all",
             mode="chat", business_value=10.0),
    # --- seasonal (inside the default 90-day window, plus one upcoming) --------------
    Campaign("back_to_school", "Back to school: 15% off kids", "conversion", "seasonal_sale",
             category="kids", promotion_family="back_to_school", offer_code="SCHOOL15",
             discount_pct=15, allowed_channels=("email", "push", "ads"), audience="customers",
             urgency="medium", window=(-80, -55), drop_every_days=8, reach=0.40,
             business_value=16.0),
    Campaign("mid_season_sale", "Mid-season sale: 20% off", "conversion", "seasonal_sale",
             promotion_family="mid_season_sale", offer_code="MIDSEASON20", discount_pct=20,
             allowed_channels=("email", "sms", "push", "ads"), audience="all",
             urgency="high", window=(-50, -36), drop_every_days=3, reach=0.45,
             business_value=20.0),
    # same promotion family as the email version, another code: the conflicting-offer case
    Campaign("mid_season_sale_sms", "Mid-season sale: 25% off by text", "conversion",
             "seasonal_sale", promotion_family="mid_season_sale", offer_code="MIDSEASON25",
             discount_pct=25, allowed_channels=("sms",), content_format="short",
             audience="customers", urgency="high", window=(-48, -40), drop_every_days=4,
             reach=0.45, business_value=18.0),
    Campaign("flash_sale", "48-hour flash sale", "conversion", "flash_sale",
             category="footwear", promotion_family="flash_sale", offer_code="FLASH25",
             discount_pct=25, allowed_channels=("sms", "push", "email"),
             content_format="short", audience="customers", urgency="high", window=(-21, -19),
             drop_every_days=1, reach=0.50, business_value=18.0),
    Campaign("autumn_clearance", "Autumn clearance: up to 30% off", "conversion",
             "seasonal_sale", category="apparel", promotion_family="autumn_clearance",
             offer_code="CLEAR30", discount_pct=30, allowed_channels=("email", "push", "sms"),
             audience="all", urgency="medium", window=(-14, 0), drop_every_days=4, reach=0.40,
             business_value=17.0),
    Campaign("holiday_preview", "Holiday gift guide preview", "retention", "holiday",
             promotion_family="holiday", offer_code="HOLIDAY10", discount_pct=10,
             allowed_channels=("email", "push", "chat", "ads"), audience="customers",
             window=(5, 30), mode="none", business_value=14.0),
)  # fmt: skip
CAMPAIGN_INDEX = {c.campaign_id: i for i, c in enumerate(CAMPAIGNS)}

# journey_id -> [(campaign_id, wait_hours after the previous step / the trigger, condition,
# stale_after_hours: how long after it is due the step is still worth sending, None for
# the default of var chorus_journey_stale_days)]. An order confirmation is expected at
# once and a shipping update within the day or two it describes; a cart reminder is
# about a visit, which two days later the customer no longer has in mind.
JOURNEYS: dict[str, tuple[tuple[str, int, str, int | None], ...]] = {
    "welcome": (
        ("welcome_intro", 0, "always", None),
        ("welcome_reminder", 72, "not_opened", None),
        ("welcome_offer", 96, "always", None),
    ),
    "cart_abandonment": (
        ("cart_reminder", 1, "always", 48),
        ("cart_offer", 23, "opened_not_clicked", 48),
        ("cart_chat_assist", 48, "clicked_not_purchased", 48),
    ),
    "winback": (
        ("winback_15", 0, "always", None),
        ("winback_ads", 72, "not_opened", None),
        ("winback_20", 168, "not_opened", None),
    ),
    "post_purchase": (
        ("order_confirmation", 0, "always", 24),
        ("shipping_update", 24, "always", 48),
        ("post_purchase_cross_sell", 168, "always", None),
    ),
}
JOURNEY_EXIT_ON = {
    "welcome": "purchase",
    "cart_abandonment": "purchase",
    "winback": "purchase",
    "post_purchase": "refund",  # no cross-sell after the customer returned the order
}


def evergreen_window(end: datetime) -> tuple[datetime, datetime]:
    """2026-01-01 .. 2027-12-31, moved to other years only when `end` lies outside them."""
    start = min(
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime((end - timedelta(days=30)).year, 1, 1, tzinfo=UTC),
    )
    stop = max(
        datetime(2027, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(end.year + 1, 12, 31, 23, 59, 59, tzinfo=UTC),
    )
    return start, stop


def campaign_window(campaign: Campaign, end: datetime) -> tuple[datetime, datetime]:
    if campaign.window == EVERGREEN:
        return evergreen_window(end)
    start_days, end_days = campaign.window
    day0 = end.replace(hour=0, minute=0, second=0, microsecond=0)
    return day0 + timedelta(days=start_days), day0 + timedelta(days=end_days, seconds=-1)


def campaign_rows(end: datetime = DEFAULT_END) -> list[dict[str, str]]:
    rows = []
    for c in CAMPAIGNS:
        start, stop = campaign_window(c, end)
        rows.append(
            {
                "campaign_id": c.campaign_id,
                "name": c.name,
                "objective": c.objective,
                "topic": c.topic,
                "promotion_family": c.promotion_family,
                "product_id": c.product_id,
                "category": c.category,
                "offer_code": c.offer_code,
                "discount_pct": "" if c.discount_pct is None else str(c.discount_pct),
                "business_value": f"{c.business_value:.2f}",
                "urgency": c.urgency,
                "allowed_channels": "|".join(c.allowed_channels),
                "content_format": c.content_format,
                "audience": c.audience,
                "starts_at": start.strftime(SEED_TIME_FORMAT),
                "ends_at": stop.strftime(SEED_TIME_FORMAT),
            }
        )
    return rows


def journey_rows() -> list[dict[str, str]]:
    return [
        {
            "journey_id": journey,
            "step": str(step),
            "campaign_id": campaign_id,
            "wait_hours": str(wait),
            "stale_after_hours": "" if stale is None else str(stale),
            "condition": condition,
            "exit_on": JOURNEY_EXIT_ON[journey],
        }
        for journey, steps in JOURNEYS.items()
        for step, (campaign_id, wait, condition, stale) in enumerate(steps, start=1)
    ]


def _validate() -> None:
    """Fail at import if the configuration drifts from the contract's vocabularies."""
    catalog = product_catalog()
    category_of = dict(zip(catalog.product_id, catalog.category, strict=True))
    for c in CAMPAIGNS:
        assert c.objective in CAMPAIGN_OBJECTIVES, c
        assert c.content_format in CONTENT_FORMATS, c
        assert set(c.allowed_channels) <= set(CHANNELS), c
        assert c.audience in AUDIENCES, c
        assert not c.product_id or category_of[c.product_id] == c.category, c
        assert not c.category or c.category in CATEGORY_NAMES, c
        assert c.urgency in ("low", "medium", "high"), c
    assert set(CAMPAIGN_OBJECTIVES) <= {c.objective for c in CAMPAIGNS}
    for steps in JOURNEYS.values():
        for campaign_id, _, condition, stale in steps:
            assert campaign_id in CAMPAIGN_INDEX and condition in JOURNEY_CONDITIONS
            assert stale is None or stale >= 1


_validate()


def write_seeds(seed_dir: Path, end: datetime = DEFAULT_END) -> list[Path]:
    """Write campaigns.csv and journey_steps.csv (columns exactly contract.SEED_COLUMNS)."""
    seed_dir = Path(seed_dir)
    seed_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in (("campaigns", campaign_rows(end)), ("journey_steps", journey_rows())):
        path = seed_dir / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=SEED_COLUMNS[name], lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        written.append(path)
    return written
