"""The parsed figures of the waves read last, kept in this process (each API worker has its own).

Every scorecard and leaderboard of a wave reads all of its published audits: for a 1,500-dealer wave,
parsing 4,500 audits' figures and working out every dealer's gaps costs about a second, the same second
for each of the wave's 1,500 scorecards. An entry is keyed by the exact inputs of that work — the wave,
the program and each published audit's id, dealer, region and score version — so a new score version, a
publication, a withdrawal or a dealer moved to another region makes a new key: an entry can go unused,
never stale. Score versions are append-only, so a version's id always stands for the same figures.

The program's earlier waves (trends, movers) are kept apart, one entry per wave, keyed by the count and
the sum of their published audits' score version ids (`EarlierKey`), which a grouped query reads
without fetching the rows. That pair changes whenever the figures do: a published audit stays published
and its figures only move to a newer score version, whose id is greater than the one it replaces, so an
equal count means the same audits and an equal sum then means the same versions.
"""
from __future__ import annotations

import hashlib
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from ...constants import TREND_WAVES

# An entry of a 4,500-audit wave of an 82-item checklist takes about 200 MB (README: FIGURES_CACHE_WAVES).
DEFAULT_SIZE = 2


@dataclass
class CachedWave:
    scores: dict[uuid.UUID, dict[str, Any]]  # the figures of each audit's score version of the key
    # What WaveFigures worked out from these audits alone (per-dealer gaps, region and nation figures).
    memo: dict[Any, Any] = field(default_factory=dict)


@dataclass
class EarlierWave:
    """One earlier wave of the program: the reported overalls of each dealer's published audits, and
    each dealer's mean of them (the same for every trend and mover that reads the wave)."""

    overalls: dict[int, list[float | None]]
    dealer_means: dict[int, float | None]


K = TypeVar("K")
V = TypeVar("V")


class FiguresCache(Generic[K, V]):
    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: K, entry: V) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def wave_key(wave_id: int, program: str | None, audits: Iterable[tuple[uuid.UUID, int, int, int]]) -> bytes:
    """`audits`: (audit id, dealer id, region id, score version id) of each published audit, in the
    order read."""
    digest = hashlib.blake2b(f"{wave_id}|{program}".encode(), digest_size=32)
    for audit_id, dealer_id, region_id, version_id in audits:
        digest.update(audit_id.bytes)
        digest.update(f"{dealer_id},{region_id},{version_id};".encode())
    return digest.digest()


EarlierKey = tuple[int, str | None, int, int]  # wave id, program, published audits, sum of their version ids


figures_cache: FiguresCache[bytes, CachedWave] = FiguresCache()
earlier_cache: FiguresCache[EarlierKey, EarlierWave] = FiguresCache(DEFAULT_SIZE * TREND_WAVES)


def configure(size: int) -> None:
    """Set at start-up from FIGURES_CACHE_WAVES (0: keep nothing between requests); each wave kept may
    need its TREND_WAVES earlier waves."""
    figures_cache.size = size
    figures_cache.clear()
    earlier_cache.size = size * TREND_WAVES
    earlier_cache.clear()
