"""Persons and their identifiers: countries, time zones, names, emails, phones, accounts,
cookies, app devices, families sharing an email, shop tablets, junk values, and the
latent traits (channel affinities, peak hour, contact tolerance, consent) that drive
every later event.

Everything here is integer codes and floats; strings are rendered later (render.py)
from the reference arrays defined here, so 1M persons cost a few numpy calls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import phonenumbers

from orchestration.sample_data import model
from orchestration.sample_data._core import (
    DAY,
    HOUR,
    NEVER,
    TIMEZONES,
    Streams,
    Window,
    cdf_of,
    choice_rows,
    expand,
    perm_range,
)
from orchestration.sample_data.catalog import CATEGORIES

# ---------------------------------------------------------------------------------------
# reference lists

COUNTRIES: tuple[tuple[str, float, int], ...] = (  # ISO code, share, language index
    ("US", 0.55, 0),
    ("GB", 0.15, 0),
    ("CA", 0.08, 0),
    ("DE", 0.08, 1),
    ("FR", 0.07, 2),
    ("AU", 0.07, 0),
)
COUNTRY_CODES = tuple(c[0] for c in COUNTRIES)

# (display form, ascii form for emails); a few accents so display != email spelling
FIRST_NAMES: tuple[tuple[tuple[str, str], ...], ...] = (
    tuple((n, n.lower()) for n in (
        "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
        "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas",
        "Sarah", "Charles", "Karen", "Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Betty",
        "Mark", "Emily", "Steven", "Ashley", "Andrew", "Olivia", "Joshua", "Emma", "Kevin",
        "Sophia", "Brian", "Chloe", "George", "Grace", "Oliver", "Amelia", "Jack", "Isla",
        "Harry", "Ava", "Noah", "Mia", "Liam", "Zoe", "Ethan", "Hannah", "Lucas", "Ella",
    )) + (("Zoë", "zoe"), ("Renée", "renee"), ("José", "jose")),
    tuple((n, n.lower()) for n in (
        "Lukas", "Anna", "Leon", "Lena", "Finn", "Marie", "Paul", "Sophie", "Jonas", "Laura",
        "Felix", "Julia", "Maximilian", "Lea", "Tobias", "Katharina", "Stefan", "Sabine",
        "Andreas", "Petra", "Michael", "Claudia", "Thomas", "Monika",
    )) + (("Jürgen", "juergen"), ("Jörg", "joerg"), ("Björn", "bjoern"), ("Günter", "guenter")),
    tuple((n, n.lower()) for n in (
        "Louis", "Camille", "Gabriel", "Manon", "Jules", "Sarah", "Hugo", "Emma", "Arthur",
        "Louise", "Nathan", "Alice", "Thomas", "Juliette", "Lucas", "Ines", "Antoine", "Claire",
        "Nicolas", "Margaux", "Pierre", "Julie",
    )) + (("Léa", "lea"), ("Chloé", "chloe"), ("François", "francois"), ("Hélène", "helene")),
)  # fmt: skip
LAST_NAMES: tuple[tuple[tuple[str, str], ...], ...] = (
    tuple((n, n.lower()) for n in (
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Wilson",
        "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson",
        "White", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King",
        "Wright", "Scott", "Hill", "Green", "Adams", "Baker", "Nelson", "Carter", "Mitchell",
        "Roberts", "Turner", "Phillips", "Campbell", "Parker", "Evans", "Edwards", "Collins",
        "Stewart", "Morris", "Murphy", "Cook", "Rogers", "Patel", "Nguyen", "Kim", "Chen",
        "Wood", "Hughes", "Walsh", "Kelly", "Reid", "Fraser",
    )) + (("O'Brien", "obrien"), ("Núñez", "nunez")),
    tuple((n, n.lower()) for n in (
        "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
        "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Neumann", "Schwarz", "Zimmermann",
        "Braun", "Hofmann", "Hartmann", "Lange",
    )) + (("Müller", "mueller"), ("Schäfer", "schaefer"), ("Krüger", "krueger"),
          ("Schröder", "schroeder")),
    tuple((n, n.lower()) for n in (
        "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
        "Leroy", "Moreau", "Simon", "Laurent", "Michel", "Garcia", "David", "Bertrand", "Roux",
        "Vincent", "Fournier", "Morel", "Girard", "Andre", "Mercier", "Blanc",
    )) + (("Lefèvre", "lefevre"), ("Bézier", "bezier"), ("Faure", "faure")),
)  # fmt: skip

# email providers per country (domain, weight per country in COUNTRIES order)
EMAIL_DOMAINS: tuple[tuple[str, tuple[float, ...]], ...] = (
    ("gmail.com", (45, 35, 40, 30, 30, 40)),
    ("yahoo.com", (15, 0, 0, 0, 0, 5)),
    ("outlook.com", (12, 10, 12, 6, 0, 10)),
    ("icloud.com", (12, 10, 10, 4, 4, 12)),
    ("hotmail.com", (8, 0, 14, 0, 0, 10)),
    ("aol.com", (8, 0, 0, 0, 0, 0)),
    ("hotmail.co.uk", (0, 20, 0, 0, 0, 0)),
    ("btinternet.com", (0, 12, 0, 0, 0, 0)),
    ("yahoo.co.uk", (0, 13, 0, 0, 0, 0)),
    ("yahoo.ca", (0, 0, 12, 0, 0, 0)),
    ("rogers.com", (0, 0, 12, 0, 0, 0)),
    ("gmx.de", (0, 0, 0, 25, 0, 0)),
    ("web.de", (0, 0, 0, 25, 0, 0)),
    ("t-online.de", (0, 0, 0, 10, 0, 0)),
    ("orange.fr", (0, 0, 0, 0, 25, 0)),
    ("free.fr", (0, 0, 0, 0, 18, 0)),
    ("laposte.net", (0, 0, 0, 0, 13, 0)),
    ("hotmail.fr", (0, 0, 0, 0, 10, 0)),
    ("bigpond.com", (0, 0, 0, 0, 0, 18)),
    ("optusnet.com.au", (0, 0, 0, 0, 0, 5)),
)
WORK_DOMAINS = (
    "acme-corp.com", "globex.com", "initech.com", "umbrellagroup.com", "hooli.com",
    "stark-industries.com", "wayne-enterprises.com", "cyberdyne.io", "soylent.co",
    "massivedynamic.com", "vandelay.com", "dundermifflin.com", "piedpiper.io", "wonka.co.uk",
    "tyrell.de", "oceanic-air.com.au",
)  # fmt: skip
FAMILY_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "icloud.com")

# Junk values that appear on many records of unrelated persons (never an identity link)
JUNK_EMAILS = ("test@test.com", "noemail@noemail.com", "n/a")
JUNK_PHONES = ("0000000000", "1234567890")
JUNK_USER_IDS = ("null", "undefined", "0")
JUNK_ANONYMOUS_IDS = ("undefined", "null", "00000000-0000-0000-0000-000000000000")
JUNK_DEVICE_IDS = ("n/a", "00000000-0000-0000-0000-000000000000", "unknown")

# ---------------------------------------------------------------------------------------
# phone numbers: shapes per country, formatted through phonenumbers' own templates

# shape: (country, calling code, prefixes of the national significant number, digits after)
PHONE_SHAPES: tuple[tuple[str, int, tuple[str, ...], int], ...] = (
    ("US", 1, (), 7),  # area codes per zone below, then exchange [2-9]xx, then 4 digits
    ("CA", 1, (), 7),
    (
        "GB",
        44,
        tuple(
            f"7{p}"
            for p in (
                "40",
                "41",
                "42",
                "43",
                "44",
                "53",
                "54",
                "55",
                "56",
                "57",
                "58",
                "59",
                "71",
                "72",
                "73",
                "74",
                "75",
                "76",
                "77",
                "84",
                "85",
                "86",
                "87",
                "88",
                "89",
                "94",
                "95",
                "96",
                "97",
                "98",
                "99",
            )
        ),
        7,
    ),  # fmt: skip
    ("GB", 44, ("203", "207", "208"), 7),  # London landlines: 020 7946 0018
    ("DE", 49, ("160", "170", "171", "172", "173", "175", "176", "177", "178"), 8),
    ("FR", 33, tuple(f"6{d}" for d in "01245678"), 7),  # 63x/69x are not all mobile
    ("AU", 61, ("40", "41", "42", "43"), 7),
)
SHAPE_GB_LANDLINE = 3
# NANP area codes by time zone index (TIMEZONES order), so a number fits its zone
NANP_AREA_CODES: dict[int, tuple[int, ...]] = {
    0: (212, 646, 718, 917, 347, 617, 857, 305, 786, 404, 470, 215, 267, 704, 980, 202),
    1: (312, 773, 872, 214, 469, 713, 832, 512, 737, 615, 629, 612, 314),
    2: (303, 720, 801, 385, 505),
    3: (415, 628, 510, 650, 408, 213, 310, 323, 818, 206, 253, 503, 702, 619),
    4: (416, 647, 437, 613, 343, 514, 438),
    5: (604, 778, 236, 250),
}
# exchanges [2-9]xx except N11 service codes and 555 (reserved for fiction)
NANP_EXCHANGES = np.array(
    [e for e in range(200, 1000) if e % 100 != 11 and e != 555], dtype=np.int64
)

# Variants of a phone as people and systems type it
PHONE_VARIANTS = (
    "e164",  # +14155550134
    "international",  # +1 415-555-0134 (phonenumbers INTERNATIONAL)
    "national",  # (415) 555-0134 / 020 7946 0018 (phonenumbers NATIONAL)
    "intl_00",  # 001 415-555-0134 / 0044 20 7946 0018
    "national_dots",  # 415.555.0134
    "international_spaces",  # +1 415 555 0134 / +44 20 7946 0018
    "national_digits",  # 4155550134 / 02079460018
)
PHONE_INTERNATIONAL_VARIANTS = (0, 1, 3, 5)  # readable without knowing the country
INTL_00 = PHONE_VARIANTS.index("intl_00")


def dials_00(country: str) -> bool:
    """Whether people in `country` dial abroad with 00 (GB, DE, FR; not US, CA, AU), so a
    '00 44 ...' spelling is one they would type (phonenumbers' metadata decides)."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region(country)
    return bool(re.fullmatch(meta.international_prefix, "00"))


def _template(formatted: str, nsn: str) -> list[str | int]:
    """Turn one formatted example into literal chunks and nsn digit positions.

    The last len(nsn) digits of the formatted text are the national significant number
    in order; earlier digits (country code, trunk prefix) are literals.
    """
    digit_positions = [i for i, ch in enumerate(formatted) if ch.isdigit()]
    nsn_positions = dict(zip(digit_positions[-len(nsn) :], range(len(nsn)), strict=True))
    return [nsn_positions.get(i, ch) for i, ch in enumerate(formatted)]


def phone_templates() -> list[list[list[str | int]]]:
    """For each shape, one template per PHONE_VARIANTS entry, from phonenumbers."""
    fmt = phonenumbers.PhoneNumberFormat
    out = []
    for country, code, prefixes, rest in PHONE_SHAPES:
        if prefixes:
            nsn = prefixes[0] + "2345678901"[:rest]
        else:
            area = NANP_AREA_CODES[0 if country == "US" else 4][0]
            nsn = f"{area}2345678"
        number = phonenumbers.parse(f"+{code}{nsn}")
        assert phonenumbers.is_valid_number(number), (country, nsn)
        national = phonenumbers.format_number(number, fmt.NATIONAL)
        international = phonenumbers.format_number(number, fmt.INTERNATIONAL)
        e164 = phonenumbers.format_number(number, fmt.E164)
        groups = [g for g in "".join(c if c.isdigit() else " " for c in national).split()]
        intl_groups = international.replace("-", " ")
        variants = {
            "e164": e164,
            "international": international,
            "national": national,
            "intl_00": "00" + international[1:],
            "national_dots": ".".join(groups),
            "international_spaces": intl_groups,
            "national_digits": "".join(groups),
        }
        out.append([_template(variants[v], nsn) for v in PHONE_VARIANTS])
    return out


# ---------------------------------------------------------------------------------------
# the population


@dataclass
class Population:
    """Per-person arrays (index p = person) plus the identifier reference spaces.

    Reference spaces (what raw rows point at, rendered to strings in render.py):
    - email_ref: [0, 2N) personal (2p primary, 2p+1 work), [2N, 2N+E) the new primary
      addresses of the E persons who changed theirs, [2N+E, 2N+E+F) family emails, then
      JUNK_EMAILS.
    - phone_ref: [0, N) the person's own (first) phone, [N, N+K) the new numbers of the K
      persons who changed theirs, then JUNK_PHONES.
    - user_ref: [0, N) the person's account, then JUNK_USER_IDS.
    - anon_ref: [0, C) cookies, then JUNK_ANONYMOUS_IDS.
    - device_ref: [0, D) app devices, [D, D+T) shop tablets, then JUNK_DEVICE_IDS.
    """

    n: int
    country: np.ndarray
    tz: np.ndarray
    lang: np.ndarray
    first: np.ndarray  # index into FIRST_NAMES[lang]
    last: np.ndarray
    segment: np.ndarray  # model.SEGMENTS index
    created_ts: np.ndarray
    peak_hour: np.ndarray
    affinity: np.ndarray  # [n, len(CHANNELS)]
    click_given_open: np.ndarray
    preferred: np.ndarray  # index into CHANNELS
    pressure: np.ndarray
    activity: np.ndarray  # organic sessions per day
    buy_propensity: np.ndarray  # multiplies organic funnel conversion
    fav_category: np.ndarray
    email_pattern: np.ndarray
    email_domain: np.ndarray
    email_num: np.ndarray
    has_work: np.ndarray
    work_domain: np.ndarray
    work_num: np.ndarray
    family: np.ndarray  # family index or -1
    has_phone: np.ndarray
    phone_shape: np.ndarray  # per person: a new number keeps the country's shape
    phone_nsn: np.ndarray  # int64 national significant number, per phone ref (below)
    has_user: np.ndarray
    user_num: np.ndarray
    # identity churn (model.py): NEVER / -1 where it does not happen
    phone_change_ts: np.ndarray  # from then on the person uses new_phone
    new_phone: np.ndarray  # phone ref of the new number
    email_change_ts: np.ndarray  # from then on the person's primary email is new_email
    new_email: np.ndarray  # email ref of the new address
    new_email_domain: np.ndarray  # [E] per new address (E = number of email changers)
    new_email_num: np.ndarray  # [E]
    crm_in_place: np.ndarray  # the CRM contact is edited (else a new contact is added)
    crm_lag: np.ndarray  # seconds from the change until the CRM shows it
    account_ts: np.ndarray  # when the account was created (has_user only); before: guest
    n_cookies: np.ndarray
    cookie_start: np.ndarray
    cookie_person: np.ndarray  # [C]
    cookie_num: np.ndarray  # [C] scrambled, for the uuid text
    cookie_logs_in: np.ndarray  # [C] False: a browser where the person never logs in
    n_devices: np.ndarray
    device_start: np.ndarray
    device_person: np.ndarray  # [D]
    device_ios: np.ndarray  # [D]
    device_num: np.ndarray  # [D]
    device_push_consent: np.ndarray  # [D]
    device_push_optout_ts: np.ndarray  # [D]
    store_shopper: np.ndarray
    home_tablet: np.ndarray  # tablet index or -1
    n_tablets: int
    tablet_num: np.ndarray
    n_families: int
    family_last: np.ndarray
    family_num: np.ndarray
    family_domain: np.ndarray
    family_pattern: np.ndarray
    # consent and its latent changes (NEVER = does not happen in the window)
    consent_email: np.ndarray
    consent_sms: np.ndarray
    consent_ads: np.ndarray  # 0 no record, 1 opted in, 2 opted out (before the window)
    optout_ts: dict[str, np.ndarray] = field(default_factory=dict)  # channel|all -> ts
    complaint_ts: np.ndarray | None = None  # spam complaint on the latest email
    email_dead_ts: np.ndarray | None = None  # mailbox deleted: sends bounce from then
    sms_transactional_optin: np.ndarray | None = None

    @property
    def n_cookies_total(self) -> int:
        return len(self.cookie_person)

    @property
    def n_devices_total(self) -> int:
        return len(self.device_person)

    @property
    def email_refs(self) -> tuple[int, int, int]:
        """(start of family refs, start of junk refs, total) in the email reference space."""
        family = 2 * self.n + len(self.new_email_num)
        return family, family + self.n_families, family + self.n_families + len(JUNK_EMAILS)

    @property
    def phone_junk_start(self) -> int:
        """First junk ref in the phone reference space (after the new numbers)."""
        return len(self.phone_nsn)

    def phone_at(self, person: np.ndarray, ts: np.ndarray) -> np.ndarray:
        """The ref of the person's own phone in use at ts (the caller checks has_phone)."""
        return np.where(ts >= self.phone_change_ts[person], self.new_phone[person], person)

    def email_at(self, person: np.ndarray, ts: np.ndarray) -> np.ndarray:
        """The ref of the person's primary email at ts."""
        return np.where(ts >= self.email_change_ts[person], self.new_email[person], 2 * person)

    def has_account_at(self, person: np.ndarray, ts: np.ndarray) -> np.ndarray:
        return self.has_user[person] & (ts >= self.account_ts[person])


def build_population(n: int, window: Window, streams: Streams) -> Population:
    rng = streams("persons")
    p = np.arange(n, dtype=np.int64)

    country = rng.choice(len(COUNTRIES), n, p=_norm([c[1] for c in COUNTRIES])).astype(np.int8)
    lang = np.array([c[2] for c in COUNTRIES], dtype=np.int8)[country]
    tz_cdf = np.zeros((len(COUNTRIES), len(TIMEZONES)))
    for z, (_, iso, share) in enumerate(TIMEZONES):
        tz_cdf[COUNTRY_CODES.index(iso), z] = share
    tz = choice_rows(rng, cdf_of(tz_cdf), country).astype(np.int8)
    first = (rng.random(n) * np.array([len(x) for x in FIRST_NAMES])[lang]).astype(np.int32)
    last = (rng.random(n) * np.array([len(x) for x in LAST_NAMES])[lang]).astype(np.int32)

    segment = rng.choice(len(model.SEGMENTS), n, p=_norm(model.SEGMENT_SHARES)).astype(np.int8)
    # CRM creation: a share signs up inside the window (the welcome journey's audience);
    # the rest over the previous four years, prospects more recently than customers
    new_signup = rng.random(n) < model.NEW_SIGNUP_SHARE * min(1.0, window.days / 90)
    years_back = np.where(segment == 0, rng.exponential(0.8, n), rng.uniform(0.1, 4.0, n))
    created = window.start - (np.minimum(years_back, 4.0) * 365 * DAY).astype(np.int64)
    created = np.where(new_signup, window.start + rng.integers(0, window.days * DAY, n), created)
    segment = np.where(new_signup, 0, segment).astype(np.int8)  # new signups: prospects

    peak_hour = rng.choice(model.PEAK_HOURS, n, p=_norm(model.PEAK_HOUR_WEIGHTS)).astype(np.int8)

    # channel affinities: per-channel Beta prior x a global engagement factor, with the
    # person's preferred channel boosted; stored as base rates (before fatigue)
    engagement = rng.lognormal(0.0, 0.35, n)
    engagement /= engagement.mean()
    affinity = np.empty((n, len(model.CHANNELS)), dtype=np.float64)
    for j, ch in enumerate(model.CHANNELS):
        a, b = model.AFFINITY_BETA[ch]
        affinity[:, j] = rng.beta(a, b, n) * engagement
    boosted = rng.choice(len(model.CHANNELS), n, p=_norm(model.PREFERRED_CHANNEL_WEIGHTS))
    affinity[p, boosted] *= model.PREFERRED_BOOST
    affinity = np.clip(affinity, 0.001, 0.9)
    means = np.array([a / (a + b) for a, b in model.AFFINITY_BETA.values()])
    preferred = np.argmax(affinity / means, axis=1).astype(np.int8)
    click_given_open = np.clip(rng.beta(2.0, 11.0, n) * engagement, 0.01, 0.8)

    pressure = rng.lognormal(0.0, model.PRESSURE_SIGMA, n)
    pressure /= pressure.mean()
    activity = rng.lognormal(0.0, 0.6, n)
    activity = activity / activity.mean() * np.array(model.SESSIONS_PER_DAY)[segment]
    buy_propensity = rng.lognormal(0.0, 0.5, n)
    buy_propensity = (
        buy_propensity / buy_propensity.mean() * np.array(model.BUY_PROPENSITY)[segment]
    )
    fav_category = rng.choice(len(CATEGORIES), n, p=_norm([c[1] for c in CATEGORIES]))

    # emails: unique by construction (the number is a bijection of the person index; new
    # addresses use indexes n.. of the same bijection, so they never repeat one)
    num_space = 10 ** max(4, len(str(2 * n)))
    email_pattern = rng.integers(0, 5, n).astype(np.int8)
    domain_w = np.array([d[1] for d in EMAIL_DOMAINS], dtype=np.float64).T  # [country, dom]
    email_domain = choice_rows(rng, cdf_of(domain_w), country).astype(np.int16)
    email_num = perm_range(p, num_space, streams.key("email_num"))
    has_work = rng.random(n) < model.WORK_EMAIL_SHARE
    work_domain = rng.integers(0, len(WORK_DOMAINS), n).astype(np.int16)
    work_num = perm_range(p, num_space, streams.key("work_num"))

    # families: a few persons share one household email; members share last name, country
    family = np.full(n, -1, dtype=np.int32)
    order = rng.permutation(n)
    sizes = rng.choice([2, 3], size=max(1, n // 40), p=[0.6, 0.4])
    sizes = sizes[np.cumsum(sizes) <= int(n * model.FAMILY_SHARE) + 3]
    if sizes.sum() > n:
        sizes = sizes[:0]
    n_families = len(sizes)
    fam_of_member, rank_in_family = expand(sizes)
    members = order[: len(fam_of_member)]
    family[members] = fam_of_member
    heads = members[np.cumsum(sizes) - sizes]
    head_of_member = heads[fam_of_member]
    for arr in (last, country, tz, lang):
        arr[members] = arr[head_of_member]
    # members of one household have different first names (steps of 7 through the list)
    first_counts = np.array([len(x) for x in FIRST_NAMES])
    n_first = first_counts[lang[members]]
    first[members] = (np.minimum(first[head_of_member], n_first - 1) + 7 * rank_in_family) % n_first
    family_last = last[heads]
    family_num = perm_range(np.arange(n_families), 10**6, streams.key("family_num"))
    family_domain = rng.integers(0, len(FAMILY_DOMAINS), n_families).astype(np.int8)
    family_pattern = rng.integers(0, 3, n_families).astype(np.int8)

    # phones: unique per person, shaped after the country (and zone, for NANP area codes)
    has_phone = (rng.random(n) < model.PHONE_SHARE) | (family >= 0)
    churn = _churn(streams, window, created, has_phone)
    phone_changer = churn["phone_change_ts"] != NEVER
    phone_shape, phone_nsn, new_nsn = _phones(rng, country, tz, streams, phone_changer)
    changers = np.flatnonzero(phone_changer)
    new_phone = np.full(n, -1, dtype=np.int64)
    new_phone[changers] = n + np.arange(len(changers))
    phone_nsn = np.concatenate([phone_nsn, new_nsn[changers]])
    email_changers = np.flatnonzero(churn["email_change_ts"] != NEVER)
    new_email = np.full(n, -1, dtype=np.int64)
    new_email[email_changers] = 2 * n + np.arange(len(email_changers))
    # a new address: a provider of the country (maybe the same one) and a number no other
    # address uses
    crng = streams("churn:email")
    new_email_domain = choice_rows(crng, cdf_of(domain_w), country[email_changers]).astype(np.int16)
    new_email_num = perm_range(n + email_changers, num_space, streams.key("email_num"))

    has_user = rng.random(n) < np.array(model.ACCOUNT_SHARE)[segment]
    user_num = perm_range(p, 2**40, streams.key("user_num"))
    # accounts exist since the person did; a share registers inside the window instead,
    # after checking out as a guest (persons known before the window only)
    arng = streams("churn:account")
    guest_first = has_user & (created < window.start) & (arng.random(n) < model.GUEST_FIRST_SHARE)
    registered = window.start + arng.integers(10 * DAY, max(11 * DAY, (window.days - 5) * DAY), n)
    account_ts = np.where(guest_first, registered, np.minimum(created, window.start))

    # cookies: 1-4 browsers per person; some browsers never see a login
    n_cookies = rng.choice([1, 2, 3, 4], n, p=[0.55, 0.28, 0.12, 0.05]).astype(np.int8)
    cookie_person, cookie_rank = expand(n_cookies)
    cookie_start = np.cumsum(n_cookies) - n_cookies
    cookie_num = perm_range(np.arange(len(cookie_person)), 2**62, streams.key("cookie"))
    cookie_logs_in = (cookie_rank == 0) | (rng.random(len(cookie_person)) > 0.15)

    # app devices (phones, tablets): more likely for active customers
    has_app = rng.random(n) < np.array(model.APP_SHARE)[segment]
    n_devices = np.where(has_app, rng.choice([1, 2], n, p=[0.8, 0.2]), 0).astype(np.int8)
    device_person, _ = expand(n_devices)
    device_start = np.cumsum(n_devices) - n_devices
    n_dev = len(device_person)
    device_ios = rng.random(n_dev) < 0.55
    device_num = perm_range(np.arange(n_dev), 2**62, streams.key("device"))

    # shop tablets: shared devices customers log in on in store
    n_tablets = max(3, n // 4_000)
    tablet_num = perm_range(np.arange(n_tablets), 2**62, streams.key("tablet"))
    store_shopper = rng.random(n) < model.STORE_SHOPPER_SHARE
    home_tablet = np.where(store_shopper, rng.integers(0, n_tablets, n), -1)

    # consent at sign-up, and its latent changes inside the window
    crng = streams("consent")
    consent_email = crng.random(n) < model.CONSENT_EMAIL
    mobile = has_phone & (phone_shape != SHAPE_GB_LANDLINE)
    consent_sms = mobile & (crng.random(n) < model.CONSENT_SMS)
    eu = np.isin(country, [COUNTRY_CODES.index(c) for c in ("GB", "DE", "FR")])
    ads_in = crng.random(n) < np.where(eu, model.CONSENT_ADS_EU, model.CONSENT_ADS)
    ads_out = ~ads_in & (crng.random(n) < 0.25)
    consent_ads = np.where(ads_in, 1, np.where(ads_out, 2, 0)).astype(np.int8)
    device_push_consent = crng.random(n_dev) < model.CONSENT_PUSH
    sms_transactional_optin = mobile & (crng.random(n) < 0.2)

    scale = window.days / 90
    tolerance = crng.lognormal(0.0, 0.8, n)  # low tolerance: quicker to opt out
    tolerance /= tolerance.mean()

    def latent(rate: float, eligible: np.ndarray, size: int | None = None) -> np.ndarray:
        size = n if size is None else size
        hit = eligible & (crng.random(size) < 1 - np.exp(-rate * scale))
        when = window.start + crng.integers(0, window.days * DAY, size)
        return np.where(hit, when, NEVER)

    optout_ts = {
        "email": latent(model.OPTOUT_RATE["email"], consent_email & (tolerance < 1.0)),
        "sms": latent(model.OPTOUT_RATE["sms"], consent_sms),
        "ads": latent(model.OPTOUT_RATE["ads"], consent_ads == 1),
        "chat": latent(model.OPTOUT_RATE["chat"], np.ones(n, dtype=bool)),
        "all": latent(model.OPTOUT_RATE["all"], np.ones(n, dtype=bool)),
    }
    device_push_optout_ts = latent(model.OPTOUT_RATE["push"], device_push_consent, n_dev)
    complaint_ts = latent(model.COMPLAINT_RATE, consent_email & (tolerance < 0.7))
    # a mailbox that stops existing: sends bounce from then on (some before the window)
    dead = crng.random(n) < model.DEAD_MAILBOX_SHARE
    email_dead_ts = np.where(
        dead, window.start + crng.integers(-30 * DAY, window.days * DAY, n), NEVER
    )
    # a consent event cannot predate the record it belongs to
    for key, ts in optout_ts.items():
        optout_ts[key] = np.where(ts < created, NEVER, ts)

    return Population(
        n=n, country=country, tz=tz, lang=lang, first=first, last=last, segment=segment,
        created_ts=created, peak_hour=peak_hour, affinity=affinity,
        click_given_open=click_given_open, preferred=preferred, pressure=pressure,
        activity=activity, buy_propensity=buy_propensity, fav_category=fav_category,
        email_pattern=email_pattern, email_domain=email_domain, email_num=email_num,
        has_work=has_work, work_domain=work_domain, work_num=work_num, family=family,
        has_phone=has_phone, phone_shape=phone_shape, phone_nsn=phone_nsn, has_user=has_user,
        phone_change_ts=churn["phone_change_ts"], new_phone=new_phone,
        email_change_ts=churn["email_change_ts"], new_email=new_email,
        new_email_domain=new_email_domain, new_email_num=new_email_num,
        crm_in_place=churn["crm_in_place"], crm_lag=churn["crm_lag"], account_ts=account_ts,
        user_num=user_num, n_cookies=n_cookies, cookie_start=cookie_start,
        cookie_person=cookie_person, cookie_num=cookie_num, cookie_logs_in=cookie_logs_in,
        n_devices=n_devices, device_start=device_start, device_person=device_person,
        device_ios=device_ios, device_num=device_num, device_push_consent=device_push_consent,
        device_push_optout_ts=device_push_optout_ts, store_shopper=store_shopper,
        home_tablet=home_tablet, n_tablets=n_tablets, tablet_num=tablet_num,
        n_families=n_families, family_last=family_last, family_num=family_num,
        family_domain=family_domain, family_pattern=family_pattern,
        consent_email=consent_email, consent_sms=consent_sms, consent_ads=consent_ads,
        optout_ts=optout_ts, complaint_ts=complaint_ts, email_dead_ts=email_dead_ts,
        sms_transactional_optin=sms_transactional_optin,
    )  # fmt: skip


def _phones(
    rng: np.random.Generator,
    country: np.ndarray,
    tz: np.ndarray,
    streams: Streams,
    changer: np.ndarray,
):
    """A shape and a unique national significant number per person, and a second number
    of the same shape for each changer (new_nsn, 0 elsewhere): every number of a shape
    comes from one bijection, originals at indexes [0, m), new ones after them."""
    n = len(country)
    shape = np.zeros(n, dtype=np.int8)
    nsn = np.zeros(n, dtype=np.int64)
    new_nsn = np.zeros(n, dtype=np.int64)

    def fill(members: np.ndarray, prefixes: tuple[str, ...], rest: int, key: int) -> None:
        _fill(nsn, members, prefixes, rest, key)
        _fill(new_nsn, members[changer[members]], prefixes, rest, key, offset=len(members))

    for s, (iso, _, prefixes, rest) in enumerate(PHONE_SHAPES):
        if s == SHAPE_GB_LANDLINE:
            continue
        members = np.flatnonzero(country == COUNTRY_CODES.index(iso))
        if iso == "GB":  # a share of British numbers are London landlines
            landline = rng.random(len(members)) < 0.15
            shape[members[landline]] = SHAPE_GB_LANDLINE
            fill(
                members[landline],
                PHONE_SHAPES[SHAPE_GB_LANDLINE][2],
                rest,
                streams.key("phone:gb_landline"),
            )
            members = members[~landline]
        shape[members] = s
        if prefixes:
            fill(members, prefixes, rest, streams.key(f"phone:{s}"))
            continue
        for z, areas in NANP_AREA_CODES.items():
            in_zone = members[tz[members] == z]
            if len(in_zone) == 0:
                continue
            space = len(areas) * len(NANP_EXCHANGES) * 10_000
            key = streams.key(f"phone:nanp:{z}")
            for target, who, offset in (
                (nsn, in_zone, 0),
                (new_nsn, in_zone[changer[in_zone]], len(in_zone)),
            ):
                k = perm_range(np.arange(offset, offset + len(who)), space, key)
                area = np.asarray(areas, dtype=np.int64)[k // (len(NANP_EXCHANGES) * 10_000)]
                exchange = NANP_EXCHANGES[(k // 10_000) % len(NANP_EXCHANGES)]
                target[who] = area * 10_000_000 + exchange * 10_000 + k % 10_000
    return shape, nsn, new_nsn


def _fill(
    nsn: np.ndarray,
    members: np.ndarray,
    prefixes: tuple[str, ...],
    rest: int,
    key: int,
    offset: int = 0,
) -> None:
    space = len(prefixes) * 10**rest
    k = perm_range(np.arange(offset, offset + len(members)), space, key)
    prefix = np.asarray([int(x) for x in prefixes], dtype=np.int64)[k // 10**rest]
    nsn[members] = prefix * 10**rest + k % 10**rest


def _churn(
    streams: Streams, window: Window, created: np.ndarray, has_phone: np.ndarray
) -> dict[str, np.ndarray]:
    """Who changes phone or email (at most one of them, once), when, and how the CRM
    learns of it (model.py); NEVER where nothing changes."""
    rng = streams("churn")
    n = len(created)
    u = rng.random(n)
    phone = has_phone & (u < model.PHONE_CHANGE_SHARE)
    email = ~phone & (u >= 1 - model.EMAIL_CHANGE_SHARE)
    in_window = rng.random(n) < model.CHANGE_IN_WINDOW_SHARE
    when = np.where(
        in_window,
        window.start + rng.integers(0, window.days * DAY, n),
        window.start - rng.integers(DAY, model.CHANGE_HISTORY_DAYS * DAY, n),
    )
    # a month after the person first appeared at the earliest, an hour before the end
    changes = (phone | email) & (when >= created + 30 * DAY) & (when < window.end - HOUR)
    return {
        "phone_change_ts": np.where(changes & phone, when, NEVER),
        "email_change_ts": np.where(changes & email, when, NEVER),
        "crm_in_place": rng.random(n) < model.CRM_UPDATED_IN_PLACE_SHARE,
        "crm_lag": rng.integers(0, model.CRM_LAG_DAYS * DAY, n),
    }


def _norm(weights) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    return w / w.sum()
