"""The parsed figures of the waves read last, kept in this process (each API worker has its own).

Every scorecard and leaderboard of a wave reads all of its published audits: for a 1,500-dealer wave,
parsing 4,500 audits' figures and working out every dealer's gaps costs about a second, the same second
for each of the wave's 1,500 scorecards. An entry is keyed by the exact inputs of that work — the wave,
the program and each published audit's id, dealer, region and score version — so a new score version, a
publication, a withdrawal or a dealer moved to another region makes a new key: an entry can go unused,
never stale. Score versions are append-only, so a version's id always stands for the same figures.
"""
from __future__ import annotations

import hashlib
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# An entry of a 4,500-audit wave of an 82-item checklist takes about 200 MB (README: FIGURES_CACHE_WAVES).
DEFAULT_SIZE = 2


@dataclass
class CachedWave:
    scores: dict[uuid.UUID, dict[str, Any]]  # the figures of each audit's score version of the key
    # What WaveFigures worked out from these audits alone (per-dealer gaps, region and nation figures).
    memo: dict[Any, Any] = field(default_factory=dict)


class FiguresCache:
    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[bytes, CachedWave] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: bytes) -> CachedWave | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: bytes, entry: CachedWave) -> None:
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


figures_cache = FiguresCache()


def configure(size: int) -> None:
    """Set at start-up from FIGURES_CACHE_WAVES (0: keep nothing between requests)."""
    figures_cache.size = size
    figures_cache.clear()
