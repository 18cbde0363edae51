"""Each brand's compiled active rule set, kept in the process for a few seconds.

The worker decides every comment with its brand's rules; reading and compiling them per batch
would cost a query and the RE2 compilations each time. An activation drops the entry in the
process that made it; other processes see it once their entry expires.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from moderation.rules.engine import RuleSet

CACHE_SECONDS = 5.0
MAX_ENTRIES = 10_000

BrandKey = tuple[str, str]


class RuleSetCache:
    """(tenant, brand) → RuleSet, each entry for `ttl_seconds`; cleared whole when it grows big."""

    def __init__(
        self,
        *,
        ttl_seconds: float = CACHE_SECONDS,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._clock = clock
        self._entries: dict[BrandKey, tuple[float, RuleSet]] = {}

    def get(self, key: BrandKey) -> RuleSet | None:
        """The cached rule set, or None when absent or expired."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            self._entries.pop(key, None)
            return None
        return entry[1]

    def put(self, key: BrandKey, rule_set: RuleSet) -> None:
        """Keep `rule_set` for the brand until the TTL runs out."""
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key] = (self._clock() + self.ttl_seconds, rule_set)

    def invalidate(self, key: BrandKey) -> None:
        """Forget the brand's entry: the next lookup reads the database."""
        self._entries.pop(key, None)

    def clear(self) -> None:
        """Forget every entry."""
        self._entries.clear()
