"""A network refused a registry account's token to a service (`*.account.refresh_requested`).

An account whose tokens a refresh token renews (X, LinkedIn) is made due at once: the refresher's
next pass (WORKSPACE_REFRESH_POLL_SECONDS) refreshes it under its lease, as it refreshes any
account, and `account.credentials.changed` brings the new token to the services, which retry
then. Any other account's token does not expire (a Page token, Mastodon's) or is an app
password: refused, it needs a person, so the account is marked `needs_reauth` and
`account.deauthorized` staged. A request about credentials the registry has replaced since (a
lower version), or about an account no longer active, changes nothing: what replaced them is on
its way.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.contracts import ingest, publisher
from beacon_shared.contracts.workspace import RefreshRequest
from beacon_shared.events import Envelope
from beacon_shared.logging import get_logger
from workspace.connections import repository
from workspace.connections.refresh import REFRESHABLE
from workspace.connections.service import deauthorize

log = get_logger(__name__)


async def publisher_refused(session: AsyncSession, envelope: Envelope) -> None:
    """The publisher's call was refused."""
    request = envelope.payload(publisher.AccountRefreshRequested)
    await refused(session, envelope, request, "publisher")


async def ingest_refused(session: AsyncSession, envelope: Envelope) -> None:
    """Ingest's call (a poll, a moderation action) was refused."""
    await refused(session, envelope, envelope.payload(ingest.AccountRefreshRequested), "ingest")


async def refused(
    session: AsyncSession, envelope: Envelope, request: RefreshRequest, source: str
) -> None:
    """Refresh the account at once, or mark it needs-reauth when nothing can renew its token."""
    row = await repository.get_account(
        session, tenant_id=envelope.tenantid, account_id=request.account_id, lock=True
    )
    if row is None or row.status != "active" or row.version != request.version:
        log.info("account.refusal_outdated", account_id=str(request.account_id), source=source)
        return
    now = datetime.now(UTC)
    if row.kind in REFRESHABLE:
        await repository.make_due(session, row.id, at=now)
        log.info("account.refresh_requested", account_id=str(row.id), source=source)
        return
    await deauthorize(session, row, reason=request.reason, actor=f"service:{source}", now=now)
