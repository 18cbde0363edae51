"""Filing normalised webhook interactions under the tenants whose accounts they were sent for."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared import outbox
from beacon_shared.contracts.common import Network
from beacon_shared.contracts.ingest import OwnActivityRecorded
from beacon_shared.events import Envelope
from ingest.accounts import service as accounts
from ingest.accounts.schemas import AccountStatus, ResolvedAccount
from ingest.db import outbox as outbox_table
from ingest.interactions import service as interactions
from ingest.interactions.interaction import Interaction
from ingest.interactions.schemas import InteractionAccepted
from ingest.webhooks.normalised import OwnActivity


@dataclass
class Filed:
    """How many interactions were stored, were duplicates, or were left out (by reason)."""

    stored: int = 0
    duplicates: int = 0
    skipped: Counter[str] = field(default_factory=Counter)


class Resolve(Protocol):
    """Finds the connected account a network account id belongs to."""

    async def __call__(
        self, *, network: Network, external_account_id: str
    ) -> ResolvedAccount | None: ...


class Accept(Protocol):
    """Stores a tenant's interactions once each."""

    async def __call__(
        self, *, tenant_id: str, items: Sequence[Interaction]
    ) -> list[InteractionAccepted]: ...


def in_transaction(session: AsyncSession) -> tuple[Resolve, Accept]:
    """Resolve and store inside the caller's transaction (flushes, never commits)."""
    return partial(accounts.resolve, session), partial(interactions.accept, session)


async def file_interactions(
    by_account: Mapping[tuple[Network, str], Sequence[Interaction]],
    *,
    resolve: Resolve,
    accept: Accept,
) -> Filed:
    """Store each account's interactions for its tenant and brand.

    Interactions for an account nobody connected, or one that is paused or was disconnected in
    the workspace, are left out.
    """
    filed = Filed()
    by_tenant: dict[str, list[Interaction]] = {}
    for (network, external_account_id), items in by_account.items():
        account = await _kept(resolve, filed, network, external_account_id, len(items))
        if account is None:
            continue
        owned = {
            "brand_id": account.brand_id,
            "account_id": str(account.account_id),
            "account_external_id": external_account_id,
        }
        by_tenant.setdefault(account.tenant_id, []).extend(
            item.model_copy(update=owned) for item in items
        )
    for tenant_id, items in by_tenant.items():
        accepted = await accept(tenant_id=tenant_id, items=items)
        duplicates = sum(1 for result in accepted if result.duplicate)
        filed.duplicates += duplicates
        filed.stored += len(accepted) - duplicates
    return filed


async def _kept(
    resolve: Resolve, filed: Filed, network: Network, external_account_id: str, count: int
) -> ResolvedAccount | None:
    """The account things were delivered for, or None (counted in `filed`) when nobody connected
    it, or it is paused or was disconnected in the workspace."""
    account = await resolve(network=network, external_account_id=external_account_id)
    if account is None:
        filed.skipped["unknown_account"] += count
    elif account.status == AccountStatus.paused:
        filed.skipped["account_paused"] += count
    elif account.status == AccountStatus.disconnected:
        filed.skipped["account_disconnected"] += count
    else:
        return account
    return None


async def record_own_activity(
    session: AsyncSession,
    own: Mapping[tuple[Network, str], Sequence[OwnActivity]],
    *,
    resolve: Resolve,
    now: datetime,
) -> Filed:
    """Stage each account's own comments, replies and messages as `own.activity.recorded`, in
    the caller's transaction; left out (counted) as interactions are for an account nobody
    connected, paused or disconnected."""
    filed = Filed()
    envelopes: list[Envelope] = []
    keys: list[str] = []
    for (network, external_account_id), activities in own.items():
        account = await _kept(resolve, filed, network, external_account_id, len(activities))
        if account is None:
            continue
        for activity in activities:
            payload = OwnActivityRecorded(
                brand_id=account.brand_id,
                account_id=str(account.account_id),
                account_external_id=external_account_id,
                network=network,
                kind=activity.kind,
                external_id=activity.external_id,
                parent_external_id=activity.parent_external_id,
                thread_external_id=activity.thread_external_id,
                recipient_external_id=activity.recipient_external_id,
                app_id=activity.app_id,
                text=activity.text,
                created_at=activity.created_at,
                received_at=now,
            )
            envelopes.append(
                Envelope.build(
                    payload,
                    tenant_id=account.tenant_id,
                    subject=activity.external_id,
                    source=interactions.SOURCE,
                )
            )
            keys.append(activity.thread_external_id or activity.external_id)
    await outbox.stage(session, outbox_table, envelopes, keys=keys)
    filed.stored = len(envelopes)
    return filed
