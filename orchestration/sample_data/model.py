"""The behavioural model's parameters in one place: the ground truth that later
capabilities (fatigue, attribution, LTV, channel choice) are validated against.

_truth/fatigue.json and _truth/channel_effects.json are written from these values, so
the documentation of the truth can never drift from what the generator did.
"""

from __future__ import annotations

import numpy as np

from orchestration.contract import CHANNELS

# channel codes in frames are indexes into contract.CHANNELS (email, sms, push, chat, ads)
CH = {name: i for i, name in enumerate(CHANNELS)}

# --- persons ----------------------------------------------------------------------------
SEGMENTS = ("prospect", "active", "lapsed")  # history before the window
SEGMENT_SHARES = (0.35, 0.50, 0.15)
NEW_SIGNUP_SHARE = 0.08  # CRM record created inside a 90-day window
ACCOUNT_SHARE = (0.45, 0.95, 0.85)  # has a user_id (login), by segment
APP_SHARE = (0.15, 0.50, 0.30)  # has the mobile app, by segment
PHONE_SHARE = 0.85
WORK_EMAIL_SHARE = 0.20
FAMILY_SHARE = 0.04  # persons in a household sharing one email
STORE_SHOPPER_SHARE = 0.12

# --- identity churn: people change phones and emails; some buy before they register ----
# A person changes at most one of phone or email, once. The change happens inside the
# window (CHANGE_IN_WINDOW_SHARE) or in the two years before it, never before the person
# existed. From the change on, every source uses the new value; the old one stops.
PHONE_CHANGE_SHARE = 0.15  # of persons with a phone: a new number
EMAIL_CHANGE_SHARE = 0.08  # of persons: a new personal address
CHANGE_IN_WINDOW_SHARE = 0.7
CHANGE_HISTORY_DAYS = 730
# How the CRM learns it, within CRM_LAG_DAYS of the change: the contact is edited in place
# (the export shows only the new value) or a new contact is added (the old one goes stale)
CRM_UPDATED_IN_PLACE_SHARE = 0.6
CRM_LAG_DAYS = 3
# Habit: for HABIT_DAYS after a phone change, a share of orders still carry the old number
OLD_PHONE_HABIT_DAYS = 7
OLD_PHONE_HABIT_SHARE = 0.3
# Of the persons with an account, a share created it inside the window: before that they
# checked out as guests (email, phone, cookie, no account) and never logged in
GUEST_FIRST_SHARE = 0.10
PEAK_HOURS = (7, 8, 9, 12, 13, 17, 18, 19, 20, 21, 22)
PEAK_HOUR_WEIGHTS = (4, 6, 5, 10, 8, 6, 10, 14, 14, 12, 6)

# Base engagement per channel, before fatigue (Beta prior x a personal engagement factor):
# email: P(open | delivered); sms: P(click | delivered); push: P(open | delivered);
# chat: P(prompt click | shown); ads: P(click | impression)
AFFINITY_BETA = {
    "email": (2.2, 6.0),
    "sms": (1.2, 14.0),
    "push": (1.6, 9.0),
    "chat": (1.0, 12.0),
    "ads": (1.0, 70.0),
}
PREFERRED_CHANNEL_WEIGHTS = (0.40, 0.15, 0.22, 0.10, 0.13)
PREFERRED_BOOST = 1.8  # the preferred channel's base rate is multiplied by this
TRANSACTIONAL_ENGAGEMENT_BOOST = 2.2  # order confirmations are opened more

# --- contact pressure and fatigue ------------------------------------------------------
PRESSURE_SIGMA = 1.0  # lognormal spread of how many lists/audiences a person is on
FATIGUE = {
    "formula": "multiplier = 1 / (1 + (c / c50) ** k)",
    "c": "marketing contacts to the person on ANY channel (email, sms, push sends and chat"
    " prompts shown; transactional messages and ad impressions excluded) with sent time"
    " in [t - 7 days, t), t = this message's sent time (the message itself excluded)",
    "c50": 5.0,
    "k": 2.0,
    "applies_to": "email open, sms click, push open, chat prompt click (and transactional"
    " engagement); click-given-open is not fatigued",
    "does_not_apply_to": "opt-outs, complaints, bounces and conversions (see channel_effects)",
}


def fatigue_multiplier(contacts_7d: np.ndarray) -> np.ndarray:
    c = np.asarray(contacts_7d, dtype=np.float64)
    return 1.0 / (1.0 + (c / FATIGUE["c50"]) ** FATIGUE["k"])


# --- conversions -------------------------------------------------------------------------
# Incremental probability that ONE delivered touch causes an order (known effect per
# channel); transactional messages cause none. Drawn independently of engagement; a
# converting touch is then given the open/click path that led to the order.
TOUCH_LIFT = {
    "email": 0.006,  # per delivered email
    "sms": 0.015,  # per delivered sms
    "push": 0.008,  # per delivered push
    "chat": 0.040,  # per chat prompt shown
    "ads": 0.0008,  # per ad impression
}
CONVERSION_DELAY = {
    "min_minutes": 20,
    "mean_hours_after_min": 20.0,  # exponential
    "max_days": 7,  # the lift window: later draws are clipped to it
}
ORGANIC = {
    "description": "orders without any causal touch: web/app sessions whose funnel reaches"
    " checkout and buys (P = product_view -> add_to_cart -> checkout -> order, scaled by a"
    " personal buy propensity), plus in-store purchases",
    "p_add_to_cart_given_product_view": 0.20,
    "p_checkout_given_cart": 0.55,
    "p_order_given_checkout": 0.55,
    "store_orders_per_day_per_store_shopper": 0.006,
}
SESSIONS_PER_DAY = (0.025, 0.070, 0.020)  # organic sessions by segment
APP_SESSION_SHARE = 0.55  # of the sessions of a person with the app, the share in it
PRODUCT_VIEWS_PER_SESSION = 1.1  # Poisson mean of a session's product views
BUY_PROPENSITY = (0.6, 1.2, 0.8)  # organic funnel multiplier by segment


def web_product_view_sessions_per_day(sessions_per_day, has_app):
    """Web sessions with a product view per day (where a chat prompt can be shown):
    a person's sessions, less the app's share when they have the app, times the chance
    that a session views a product."""
    web = np.where(has_app, 1 - APP_SESSION_SHARE, 1.0)
    return sessions_per_day * web * (1 - np.exp(-PRODUCT_VIEWS_PER_SESSION))


# --- opt-outs, complaints, bounces (per 90 days, independent of fatigue) ---------------
OPTOUT_RATE = {"email": 0.05, "sms": 0.06, "push": 0.05, "ads": 0.02, "chat": 0.004, "all": 0.004}
COMPLAINT_RATE = 0.02
DEAD_MAILBOX_SHARE = 0.012
SOFT_BOUNCE = 0.004
SMS_FAILED = 0.025
PUSH_UNDELIVERED = 0.05
CONSENT_EMAIL = 0.93
CONSENT_SMS = 0.55
CONSENT_PUSH = 0.70
CONSENT_ADS = 0.70
CONSENT_ADS_EU = 0.45

# --- channel reach of broadcast drops (share of the campaign reach per channel) -------
DROP_CHANNEL_REACH = {"email": 1.0, "sms": 0.45, "push": 0.7, "chat": 0.0, "ads": 0.0}
DROP_LOCAL_HOUR = {"email": 10, "sms": 12, "push": 18}
ADS_IMPRESSIONS_PER_DAY = {
    "prospecting_ads": 0.06,
    "retargeting_ads": 0.15,
    "winback_ads": 0.4,
    "seasonal": 0.08,
}
CHAT_PROMPT_SHARE = 0.15  # share of web sessions with a product view that show a prompt
BROADCAST_REACH_SCALE = 0.3  # one knob for the overall broadcast volume
WINBACK_ENTRY_SHARE = 0.7  # lapsed persons who enter the winback journey in 90 days
