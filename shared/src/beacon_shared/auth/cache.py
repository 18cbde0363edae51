"""The short cache in front of credential lookups: it bounds how long a revocation may lag."""

from __future__ import annotations

import time
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
MAX_ENTRIES = 10_000


class ShortCache(Generic[K, V]):
    """Answers kept `seconds` (misses too); emptied whole past MAX_ENTRIES, so a flood of
    unknown credentials cannot grow it without bound."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._entries: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> tuple[bool, V | None]:
        """(True, value) while the key's answer is fresh, else (False, None)."""
        entry = self._entries.get(key)
        if entry is not None and entry[0] > time.monotonic():
            return True, entry[1]
        return False, None

    def put(self, key: K, value: V) -> None:
        """Keep `value` for `seconds` from now."""
        if len(self._entries) > MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = (time.monotonic() + self.seconds, value)
