"""The sandbox network: publishes into a local table, so local runs and tests go end to end."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from beacon_shared.contracts.common import Network
from beacon_shared.logging import get_logger
from publisher.connectors.base import PublishContent, PublishResult, PublishTarget
from publisher.connectors.models import sandbox_publication

log = get_logger(__name__)
URL_BASE = "https://sandbox.beacon.invalid"


class SandboxConnector:
    """Records each publication once per idempotency key, in its own transaction like a network."""

    network = Network.sandbox

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    async def publish(
        self, target: PublishTarget, content: PublishContent, idempotency_key: str
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
                        tenant_id=target.tenant_id,
                        account_id=target.account_id,
                        text=content.text,
                        link=content.link,
                        url=f"{URL_BASE}/{target.account_id}/posts/{external_id}",
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
