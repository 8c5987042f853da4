"""CRM records (1-3 per person: duplicates with other spellings, a work or family email,
junk values typed by staff) and the consent history: opt-ins at sign-up (which may
predate the window, as a consent system's export does) and every opt-out in the window,
whichever way it arrived (unsubscribe link, STOP, app settings, preference centre).
"""

from __future__ import annotations

import numpy as np

from orchestration.contract import CONSENT_CHANNELS
from orchestration.sample_data._core import NEVER, Frame, Streams, Window, expand
from orchestration.sample_data.commerce import phone_variant
from orchestration.sample_data.funnels import Funnels
from orchestration.sample_data.people import Population
from orchestration.sample_data.sessions import email_variant

NAME_VARIANTS = ("as_typed", "upper", "lower", "padded")
CONSENT_SOURCES = ("signup_form", "checkout", "sms_keyword", "app_prompt", "app_settings",
                   "cookie_banner", "preference_center", "unsubscribe_link", "support_request",
                   "store_pos")  # fmt: skip
SRC = {name: i for i, name in enumerate(CONSENT_SOURCES)}
CCH = {name: i for i, name in enumerate(CONSENT_CHANNELS)}


def crm_records(pop: Population, window: Window, streams: Streams) -> Frame:
    rng = streams("crm")
    n = pop.n
    extra = (rng.random(n) < 0.36).astype(np.int64)
    extra += extra * (rng.random(n) < 0.22)
    extra = np.maximum(extra, (pop.family >= 0).astype(np.int64))  # a household record
    # a person who changed phone or email (people.py): when, and when the CRM learnt it
    changed_at = np.minimum(pop.phone_change_ts, pop.email_change_ts)
    known_at = np.where(changed_at == NEVER, NEVER, changed_at + pop.crm_lag)
    learnt = known_at < window.end - 60
    added = learnt & ~pop.crm_in_place  # a new contact, the older ones go stale
    person, rank = expand(1 + extra + added)
    is_added = added[person] & (rank == extra[person] + 1)
    m = len(person)
    u = rng.random(m)
    has_work = pop.has_work[person]
    fam = pop.family[person]
    family_start, junk_start, _ = pop.email_refs
    email = np.select(
        [rank == 0, (rank == 1) & (fam >= 0), has_work & (u < 0.45), u < 0.75],
        [2 * person, family_start + fam, 2 * person + 1, 2 * person],
        -1,
    )
    phone_p = np.where(rank == 0, 0.75, 0.8)
    phone = np.where(
        pop.has_phone[person] & ((rng.random(m) < phone_p) | (email < 0) | (email >= family_start)),
        person,
        -1,
    )
    # a record must carry something: fall back to the primary email
    email = np.where((email < 0) & (phone < 0), 2 * person, email)
    # staff-typed junk on otherwise good records (the record still has its other value)
    junk_email = (phone >= 0) & (rng.random(m) < 0.005)
    email = np.where(junk_email, junk_start + rng.integers(0, 3, m), email)
    junk_phone = (email >= 0) & (email < junk_start) & (rng.random(m) < 0.004)
    phone = np.where(junk_phone, pop.phone_junk_start + rng.integers(0, 2, m), phone)

    country_blank = rng.random(m) < 0.03
    variant = phone_variant(rng, pop, person, ~country_blank)
    created = np.where(
        rank == 0, pop.created_ts[person],
        pop.created_ts[person] + (rng.random(m) * (window.end - pop.created_ts[person])).astype(
            np.int64),
    )  # fmt: skip
    created = np.minimum(created, window.end - 60)
    touched = rng.random(m) < 0.5
    updated = created + (
        rng.random(m) * (window.end - created) * np.where(touched, 1.0, 0.05)
    ).astype(np.int64)
    email, phone, created, updated = _changes(
        pop, person, rank, is_added, email, phone, created, np.minimum(updated, window.end - 1),
        changed_at, known_at, learnt,
    )  # fmt: skip
    return Frame(
        person=person, record=np.arange(m, dtype=np.int64), email=email,
        email_variant=email_variant(rng, m, 0.45), phone=phone, phone_variant=variant,
        first_variant=rng.choice(4, m, p=[0.88, 0.04, 0.04, 0.04]).astype(np.int8),
        last_variant=rng.choice(4, m, p=[0.9, 0.04, 0.03, 0.03]).astype(np.int8),
        country_blank=country_blank, tz_blank=rng.random(m) < 0.2,
        created=created, updated=updated,
    )  # fmt: skip


def _changes(
    pop: Population,
    person: np.ndarray,
    rank: np.ndarray,
    is_added: np.ndarray,
    email: np.ndarray,
    phone: np.ndarray,
    created: np.ndarray,
    updated: np.ndarray,
    changed_at: np.ndarray,
    known_at: np.ndarray,
    learnt: np.ndarray,
):
    """What a changed phone or email does to a person's CRM contacts (the export shows
    each contact as last updated):
    - a contact created after the change carries the new value;
    - edited in place: the primary contact shows the new value, updated when the CRM
      learnt it (or later);
    - a new contact: added when the CRM learnt it, with the values in use then;
    - every other contact with the old value goes stale: not updated since the change."""
    t = changed_at[person]
    known = known_at[person]
    changer = t != NEVER
    is_phone = pop.phone_change_ts[person] != NEVER
    new_phone = pop.new_phone[person]
    new_email = pop.new_email[person]
    after = changer & (created >= t)
    edited = changer & learnt[person] & pop.crm_in_place[person] & (rank == 0) & ~after
    phone = np.where(is_phone & ((after & (phone == person)) | edited), new_phone, phone)
    email = np.where(~is_phone & changer & ((after & (email == 2 * person)) | edited),
                     new_email, email)  # fmt: skip
    created = np.where(is_added, known, created)
    updated = np.where(is_added, known, updated)
    email = np.where(is_added, pop.email_at(person, known), email)
    phone = np.where(
        is_added, np.where(pop.has_phone[person], pop.phone_at(person, known), -1), phone
    )
    updated = np.where(edited, np.maximum(updated, known), updated)
    old_value = np.where(is_phone, phone == person, email == 2 * person)
    stale = changer & ~after & ~edited & ~is_added & old_value
    updated = np.where(stale, np.minimum(updated, t - 1), updated)
    return email, phone, created, updated


def consent_frame(n: int = 0) -> Frame:
    return Frame(
        person=np.zeros(n, np.int64), ts=np.zeros(n, np.int64), channel=np.zeros(n, np.int8),
        status=np.zeros(n, np.int8), source=np.zeros(n, np.int8),
        purpose=np.zeros(n, np.int8), user=np.full(n, -1, np.int64),
        email=np.full(n, -1, np.int64), email_variant=np.zeros(n, np.int8),
        phone=np.full(n, -1, np.int64), phone_variant=np.zeros(n, np.int8),
        device=np.full(n, -1, np.int64), channel_case=np.zeros(n, np.int8),
    )  # fmt: skip


def consent_events(pop: Population, funnels: Funnels, window: Window, streams: Streams) -> Frame:
    rng = streams("consent_events")
    parts: list[Frame] = []

    def add(
        person,
        ts,
        channel,
        status,
        source,
        *,
        email=False,
        phone=False,
        user=None,
        device=None,
        purpose=0,
    ):
        k = len(person)
        f = consent_frame(k)
        f["person"][:] = person
        f["ts"][:] = ts
        f["channel"][:] = CCH[channel]
        f["status"][:] = status
        f["source"][:] = source
        # purpose is optional in the contract: often left out (= marketing)
        f["purpose"][:] = np.where(rng.random(k) < 0.2, -1, purpose) if purpose == 0 else purpose
        if email:
            f["email"][:] = pop.email_at(person, f["ts"])
            f["email_variant"][:] = email_variant(rng, k, 0.3)
        if phone:
            f["phone"][:] = pop.phone_at(person, f["ts"])
            f["phone_variant"][:] = phone_variant(rng, pop, person, False)
        f["user"][:] = np.where(
            pop.has_account_at(person, f["ts"]) & (rng.random(k) < (user or 0.0)), person, -1
        )
        if device is not None:
            f["device"][:] = device
        f["channel_case"][:] = rng.choice(3, k, p=[0.96, 0.03, 0.01])
        parts.append(f)

    n = pop.n
    everyone = np.arange(n)
    created = pop.created_ts
    # opt-ins at sign-up
    p = everyone[pop.consent_email]
    src = np.where(
        pop.store_shopper[p] & (rng.random(len(p)) < 0.3),
        SRC["store_pos"],
        np.where(rng.random(len(p)) < 0.75, SRC["signup_form"], SRC["checkout"]),
    )
    add(p, created[p], "email", 0, src, email=True, user=0.7)  # the account's sign-up
    p = everyone[pop.consent_sms]
    in_window = created[p] >= window.start
    add(
        p,
        np.where(in_window, created[p] + 182, created[p] + 30),
        "sms",
        0,
        np.where(in_window, SRC["sms_keyword"], SRC["checkout"]),
        phone=True,
        user=0.3,
    )
    p = everyone[pop.sms_transactional_optin & ~pop.consent_sms]
    add(p, created[p] + 40, "sms", 0, SRC["checkout"], phone=True, purpose=1)
    dev = np.flatnonzero(pop.device_push_consent)
    p = pop.device_person[dev]
    add(p, created[p] + 60, "push", 0, SRC["app_prompt"], user=0.8, device=dev)
    for status, value in ((0, 1), (1, 2)):
        p = everyone[pop.consent_ads == value]
        add(p, created[p] + 5, "ads", status, SRC["cookie_banner"], email=True, user=0.5)
    end = window.end
    # a new number or address is subscribed again when the person gives it
    for changed_at, channel, opted_in, kind in (
        (pop.phone_change_ts, "sms", pop.consent_sms, {"phone": True}),
        (pop.email_change_ts, "email", pop.consent_email, {"email": True}),
    ):
        when = np.where(changed_at == NEVER, NEVER, changed_at + pop.crm_lag)
        p = everyone[(when < end) & opted_in & (when < pop.optout_ts[channel])]
        add(p, when[p], channel, 0, SRC["preference_center"], user=0.5, **kind)

    # opt-outs inside the window (one second after the provider event that carried them)
    p = np.flatnonzero(pop.optout_ts["email"] < end)
    via = funnels.optout_via["email"][p]
    add(
        p,
        pop.optout_ts["email"][p] + 1,
        "email",
        1,
        np.where(via, SRC["unsubscribe_link"], SRC["preference_center"]),
        email=True,
    )
    p = np.flatnonzero(pop.optout_ts["sms"] < end)
    via = funnels.optout_via["sms"][p]
    add(
        p,
        pop.optout_ts["sms"][p] + 3,
        "sms",
        1,
        np.where(via, SRC["sms_keyword"], SRC["preference_center"]),
        phone=True,
    )
    dev = np.flatnonzero(pop.device_push_optout_ts < end)
    p = pop.device_person[dev]
    add(p, pop.device_push_optout_ts[dev], "push", 1, SRC["app_settings"], user=0.8, device=dev)
    p = np.flatnonzero(pop.optout_ts["ads"] < end)
    add(p, pop.optout_ts["ads"][p], "ads", 1, SRC["cookie_banner"], email=True, user=0.5)
    p = np.flatnonzero(pop.optout_ts["chat"] < end)
    add(p, pop.optout_ts["chat"][p], "chat", 1, SRC["preference_center"], email=True)
    p = np.flatnonzero(pop.optout_ts["all"] < end)
    add(
        p,
        pop.optout_ts["all"][p],
        "all",
        1,
        np.where(rng.random(len(p)) < 0.7, SRC["preference_center"], SRC["support_request"]),
        email=True,
        user=0.8,
    )
    out = Frame.concat(parts)
    out = out.take(np.flatnonzero(out["ts"] < end))
    return out
