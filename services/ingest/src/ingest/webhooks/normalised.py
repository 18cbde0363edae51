"""What a network's webhook delivery holds once normalised: one shape for every network, so the
router files any of them the same way."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.ingest import InteractionKind
from ingest.interactions.interaction import Interaction


@dataclass(frozen=True)
class OwnActivity:
    """A comment, reply or private message the account made itself: not an interaction (nothing
    moderates it), but the brand's own part of a thread."""

    kind: InteractionKind
    external_id: str
    parent_external_id: str | None
    thread_external_id: str | None
    text: str
    created_at: datetime
    recipient_external_id: str | None = None
    app_id: str | None = None


@dataclass
class Normalised:
    """A delivery's interactions by the (network, account id) they were delivered for, each
    account's in delivery order, and what was left out, by reason."""

    by_account: dict[tuple[Network, str], list[Interaction]] = field(default_factory=dict)
    skipped: Counter[str] = field(default_factory=Counter)
    # The accounts' own comments, replies and messages, by the account that made them.
    own: dict[tuple[Network, str], list[OwnActivity]] = field(default_factory=dict)

    def add(self, network: Network, account_id: str, item: Interaction) -> None:
        """File an interaction under the network account it was delivered for."""
        self.by_account.setdefault((network, account_id), []).append(item)

    def add_own(self, network: Network, account_id: str, activity: OwnActivity) -> None:
        """File the account's own activity under it."""
        self.own.setdefault((network, account_id), []).append(activity)

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
