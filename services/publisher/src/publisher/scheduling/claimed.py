"""What the scheduler holds between a claim, its network call and its record: the claimed
target with its account and campaign, and what the network answered."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.crypto import SecretBox
from beacon_shared.tracing import current_correlation_id
from publisher.accounts import service as accounts
from publisher.campaigns import service as campaigns
from publisher.campaigns.service import CampaignRow
from publisher.connectors.base import Account, Connector, PublishResult, RecentPost
from publisher.delivery.service import ClaimedTarget
from publisher.scheduling.preparation import account_for


@dataclass(frozen=True)
class Claimed:
    """A claimed target with its account (or why it has none to publish with) and campaign."""

    target: ClaimedTarget
    account: Account | Exception
    campaign: CampaignRow | None

    def usable_account(self) -> Account:
        """The account, or what keeps the target from going out with it (raised)."""
        if isinstance(self.account, Exception):
            raise self.account
        return self.account


@dataclass(frozen=True)
class Sent:
    """What the network answered a publication: its result, or the failure of the call."""

    account: Account
    connector: Connector
    result: PublishResult | Exception


@dataclass(frozen=True)
class Looked:
    """The target looked for among the account's recent posts at `now`: the post found (None
    when not), or why the network could not be asked; whether the network still dedupes its
    idempotency key."""

    account: Account
    now: datetime
    found: RecentPost | Exception | None
    remembered: bool = False


@contextlib.contextmanager
def correlated(claimed: ClaimedTarget) -> Iterator[None]:
    """Logs and calls under the target's correlation id."""
    token = current_correlation_id.set(claimed.correlation_id)
    try:
        yield
    finally:
        current_correlation_id.reset(token)


async def with_accounts(
    session: AsyncSession, claimed: Sequence[ClaimedTarget], box: SecretBox
) -> list[Claimed]:
    """The claimed targets with their accounts (decrypted with `box`) and campaigns."""
    if not claimed:
        return []
    rows = await accounts.for_publishing(
        session, list({UUID(t.account_id) for t in claimed if _is_uuid(t.account_id)})
    )
    named = {(t.tenant_id, t.campaign_id) for t in claimed if t.campaign_id is not None}
    found = [
        await campaigns.find(session, tenant_id=tenant_id, campaign_id=campaign_id)
        for tenant_id, campaign_id in named
        if campaign_id is not None
    ]
    by_id = {row.id: row for row in rows}
    by_campaign = {str(c.id): c for c in found if c is not None}
    return [
        Claimed(target, _account(target, by_id, box), by_campaign.get(target.campaign_id or ""))
        for target in claimed
    ]


def _account(
    target: ClaimedTarget, by_id: Mapping[UUID, Any], box: SecretBox
) -> Account | Exception:
    try:
        return account_for(target, by_id, box)
    except Exception as exc:  # NotPublishable, or unreadable: told when recorded
        return exc


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True
