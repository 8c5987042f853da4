"""Shared machinery of the generator: seeded random streams, bijective id scrambles, the
time axis (window, time zones, local peak hours) and small vectorised helpers."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

DAY = 86_400
HOUR = 3_600
NEVER = np.iinfo(np.int64).max  # "this latent event does not happen"


class Streams:
    """One independent numpy Generator per named purpose, all derived from one seed.

    Naming the streams keeps phases independent: adding draws to one phase does not shift
    the random numbers of any other, so a change in (say) chat does not reshuffle orders.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def __call__(self, name: str) -> np.random.Generator:
        entropy = [self.seed, zlib.crc32(name.encode())]
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))

    def key(self, name: str) -> int:
        """A 63-bit key for the id scrambles of `name`."""
        return int(self(f"key:{name}").integers(1, 2**63 - 1))


def perm_bits(x: np.ndarray, bits: int, key: int) -> np.ndarray:
    """A keyed bijection on [0, 2**bits): xor, odd multiply and xorshift rounds.

    Ids built from it are unique by construction (no hash collisions to dedupe) yet look
    random, and the same key always maps i to the same id.
    """
    m = (1 << bits) - 1
    mask = np.uint64(m)
    x = np.asarray(x).astype(np.uint64) & mask
    shift = np.uint64(max(1, bits // 2 + 1))
    k = key & m
    for round_ in range(3):
        odd = ((0x9E3779B97F4A7C15 + 2 * round_ * 0x632BE59BD9B4E019) | 1) & m
        x = (x ^ np.uint64(k)) & mask
        x = (x * np.uint64(odd)) & mask
        x ^= x >> shift
        k = (k * 0xBF58476D1CE4E5B9 + round_ + 1) & m
    return x


def perm_range(x: np.ndarray, size: int, key: int) -> np.ndarray:
    """A keyed bijection on [0, size) (cycle walking over the next power of two)."""
    bits = max(1, int(size - 1).bit_length())
    y = perm_bits(x, bits, key)
    out_of_range = y >= size
    while out_of_range.any():
        y[out_of_range] = perm_bits(y[out_of_range], bits, key)
        out_of_range = y >= size
    return y.astype(np.int64)


def expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For counts per parent: (parent index, 0-based rank within parent) per child."""
    counts = np.asarray(counts, dtype=np.int64)
    parent = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts
    rank = np.arange(len(parent), dtype=np.int64) - np.repeat(starts, counts)
    return parent, rank


def choice_rows(rng: np.random.Generator, cdf: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Draw one category per row from per-row cumulative weights cdf[rows] (last col = 1)."""
    u = rng.random(len(rows))
    out = np.zeros(len(rows), dtype=np.int64)
    for j in range(cdf.shape[1] - 1):
        out += u >= cdf[rows, j]
    return out


def cdf_of(weights: np.ndarray) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    c = np.cumsum(w, axis=-1)
    return c / c[..., -1:]


# ---------------------------------------------------------------------------------------
# time zones and the window

# (IANA zone, ISO country, share of that country's persons)
TIMEZONES: tuple[tuple[str, str, float], ...] = (
    ("America/New_York", "US", 0.47),
    ("America/Chicago", "US", 0.29),
    ("America/Denver", "US", 0.07),
    ("America/Los_Angeles", "US", 0.17),
    ("America/Toronto", "CA", 0.65),
    ("America/Vancouver", "CA", 0.35),
    ("Europe/London", "GB", 1.0),
    ("Europe/Berlin", "DE", 1.0),
    ("Europe/Paris", "FR", 1.0),
    ("Australia/Sydney", "AU", 0.7),
    ("Australia/Brisbane", "AU", 0.3),
)
TZ_NAMES: tuple[str, ...] = tuple(t[0] for t in TIMEZONES)


@dataclass(frozen=True)
class Window:
    """The generated period [start, end) as epoch seconds plus per-zone UTC offsets.

    offsets[z, d] is the UTC offset (seconds) of zone z at noon UTC of day d; days span
    from `pad` days before the window to `pad` after, so history (CRM creation) and
    look-ahead (open delays) can use it too. DST switches are honoured to the day.
    """

    start: int
    end: int
    days: int
    pad: int
    offsets: np.ndarray  # int32 [zones, pad + days + pad]

    @classmethod
    def build(cls, end: datetime, days: int, pad: int = 1_500) -> Window:
        end = end.astimezone(UTC)
        end_ts = int(end.timestamp())
        start_ts = end_ts - days * DAY
        first = datetime.fromtimestamp(start_ts, UTC) - timedelta(days=pad)
        total = pad + days + pad
        offsets = np.zeros((len(TZ_NAMES), total), dtype=np.int32)
        for z, name in enumerate(TZ_NAMES):
            zone = ZoneInfo(name)
            for d in range(total):
                when = (first + timedelta(days=d, hours=12)).astimezone(zone)
                offsets[z, d] = int(when.utcoffset().total_seconds())
        return cls(start_ts, end_ts, days, pad, offsets)

    def offset_at(self, tz: np.ndarray, ts: np.ndarray) -> np.ndarray:
        """UTC offset in seconds of zone tz at UTC time ts (both arrays)."""
        day = (np.asarray(ts, dtype=np.int64) - self.start) // DAY + self.pad
        day = np.clip(day, 0, self.offsets.shape[1] - 1)
        return self.offsets[tz, day].astype(np.int64)

    def local_to_utc(self, tz: np.ndarray, day: np.ndarray, local_seconds: np.ndarray):
        """UTC epoch seconds of `local_seconds` after local midnight of window day `day`."""
        day = np.asarray(day, dtype=np.int64)
        off = self.offsets[tz, np.clip(day + self.pad, 0, self.offsets.shape[1] - 1)]
        return self.start + day * DAY + np.asarray(local_seconds, np.int64) - off

    def local_hour(self, tz: np.ndarray, ts: np.ndarray) -> np.ndarray:
        return ((np.asarray(ts, np.int64) + self.offset_at(tz, ts)) % DAY) // HOUR

    def next_local_time(self, tz: np.ndarray, ts: np.ndarray, local_seconds: np.ndarray):
        """The first UTC time >= ts at which the local clock shows `local_seconds`."""
        ts = np.asarray(ts, dtype=np.int64)
        off = self.offset_at(tz, ts)
        local = ts + off
        midnight = local - local % DAY
        candidate = midnight + np.asarray(local_seconds, np.int64)
        candidate = np.where(candidate < local, candidate + DAY, candidate)
        return candidate - off


def local_seconds_around(
    rng: np.random.Generator, peak_hour: np.ndarray, spread_hours: float, noise_share: float
) -> np.ndarray:
    """Seconds after local midnight, clustered around each row's peak hour.

    A share `noise_share` of rows is spread over waking hours (07-23) instead, so the peak
    is the mode, not the only hour.
    """
    n = len(peak_hour)
    around = (peak_hour + 0.5) * HOUR + rng.normal(0.0, spread_hours * HOUR, n)
    awake = rng.uniform(7 * HOUR, 23 * HOUR, n)
    seconds = np.where(rng.random(n) < noise_share, awake, around)
    return np.mod(seconds, DAY).astype(np.int64)


class Frame(dict):
    """Equal-length numpy columns by name: the generator's in-memory table."""

    def __len__(self) -> int:  # rows, not columns
        return len(next(iter(self.values()))) if super().__len__() else 0

    def take(self, index: np.ndarray) -> Frame:
        return Frame({k: v[index] for k, v in self.items()})

    @staticmethod
    def concat(frames: list[Frame]) -> Frame:
        with_columns = [f for f in frames if dict.__len__(f)]
        if not with_columns:
            return Frame()
        frames = [f for f in with_columns if len(f)] or with_columns[:1]  # keep the schema
        keys = list(frames[0])
        for f in frames[1:]:
            assert set(f) == set(keys), (keys, list(f))
        return Frame({k: np.concatenate([f[k] for f in frames]) for k in keys})

    def sorted_by(self, *keys: str) -> Frame:
        order = np.lexsort(tuple(self[k] for k in reversed(keys)))
        return self.take(order)


def wrap_into(ts: np.ndarray, start: int, end: int) -> np.ndarray:
    """Fold times that a local-time conversion pushed just outside [start, end) back in."""
    ts = np.where(ts < start, ts + DAY, ts)
    return np.where(ts >= end, ts - DAY, ts)
