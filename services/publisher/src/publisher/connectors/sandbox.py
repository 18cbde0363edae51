"""The sandbox network: publishes into a local table, so local runs and tests go end to end."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import ClassVar

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from beacon_shared.contracts.common import Network
from beacon_shared.logging import get_logger
from publisher.connectors.base import Account, PublishContent, PublishResult, RecentPost
from publisher.connectors.models import sandbox_publication

log = get_logger(__name__)
URL_BASE = "https://sandbox.beacon.invalid"


class SandboxConnector:
    """Records each publication once per idempotency key, in its own transaction like a network."""

    network: ClassVar[Network] = Network.sandbox
    # Every publish is keyed, so a repeat can never publish twice.
    idempotency_window: ClassVar[timedelta | None] = timedelta(days=365)

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    async def publish(
        self, account: Account, content: PublishContent, idempotency_key: str
    ) -> PublishResult:
        """Publish once; a repeat with the same key returns the first publication."""
        external_id = f"sbx_{secrets.token_hex(8)}"
        async with self.sessionmaker() as session, session.begin():
            inserted = (
                await session.execute(
                    insert(sandbox_publication)
                    .values(
                        idempotency_key=idempotency_key,
                        external_id=external_id,
                        tenant_id=account.tenant_id,
                        account_id=str(account.id),
                        text=content.text,
                        link=content.link,
                        url=f"{URL_BASE}/{account.id}/posts/{external_id}",
                    )
                    .on_conflict_do_nothing(index_elements=["idempotency_key"])
                    .returning(sandbox_publication.c.external_id)
                )
            ).scalar()
            row = (
                await session.execute(
                    select(sandbox_publication.c.external_id, sandbox_publication.c.url).where(
                        sandbox_publication.c.idempotency_key == idempotency_key
                    )
                )
            ).one()
        if inserted is None:
            log.info("sandbox.repeat_publish", idempotency_key=idempotency_key)
        return PublishResult(external_id=row.external_id, url=row.url)

    async def recent_posts(self, account: Account, since: datetime) -> list[RecentPost]:
        """What the sandbox holds for the account since `since`, newest first."""
        async with self.sessionmaker() as session:
            rows = await session.execute(
                select(sandbox_publication)
                .where(
                    sandbox_publication.c.account_id == str(account.id),
                    sandbox_publication.c.published_at >= since,
                )
                .order_by(sandbox_publication.c.published_at.desc())
                .limit(100)
            )
        return [RecentPost(r.external_id, r.text, r.published_at, r.url) for r in rows.all()]
