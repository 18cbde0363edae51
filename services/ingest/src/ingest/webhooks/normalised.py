"""What a network's webhook delivery holds once normalised: one shape for every network, so the
router files any of them the same way."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from beacon_shared.contracts.common import Network
from ingest.interactions.interaction import Interaction


@dataclass
class Normalised:
    """A delivery's interactions by the (network, account id) they were delivered for, each
    account's in delivery order, and what was left out, by reason."""

    by_account: dict[tuple[Network, str], list[Interaction]] = field(default_factory=dict)
    skipped: Counter[str] = field(default_factory=Counter)

    def add(self, network: Network, account_id: str, item: Interaction) -> None:
        """File an interaction under the network account it was delivered for."""
        self.by_account.setdefault((network, account_id), []).append(item)

    def skip(self, reason: str) -> None:
        """Count something left out, by reason."""
        self.skipped[reason] += 1

    @property
    def items(self) -> list[Interaction]:
        """Every interaction of the delivery, account by account."""
        return [item for items in self.by_account.values() for item in items]

    @property
    def count(self) -> int:
        """How many interactions the delivery holds."""
        return sum(len(items) for items in self.by_account.values())
