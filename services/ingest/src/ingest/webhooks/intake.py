"""Filing normalised webhook interactions under the tenants whose accounts they were sent for."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.contracts.common import Network
from ingest.accounts import service as accounts
from ingest.accounts.schemas import AccountStatus, ResolvedAccount
from ingest.interactions import service as interactions
from ingest.interactions.interaction import Interaction
from ingest.interactions.schemas import InteractionAccepted


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
        account = await resolve(network=network, external_account_id=external_account_id)
        if account is None:
            filed.skipped["unknown_account"] += len(items)
            continue
        if account.status == AccountStatus.paused:
            filed.skipped["account_paused"] += len(items)
            continue
        if account.status == AccountStatus.disconnected:
            filed.skipped["account_disconnected"] += len(items)
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
