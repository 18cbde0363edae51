"""Key rotation: every secret the workspace keeps, sealed again under the first of
WORKSPACE_CREDENTIALS_KEYS.

To rotate without downtime: put the new key first (the old one after it), restart; the worker
re-seals whatever the new key cannot open yet, in batches; once it reports none left, drop the
old key. Sealed secrets are the accounts' credentials, Beacon's Mastodon app secrets, the PKCE
verifiers of flows in progress and the tokens still to be revoked after a disconnection.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Column, Table, literal, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from beacon_shared.crypto import SecretsUnreadable
from beacon_shared.logging import get_logger
from beacon_shared.worker import Job, WorkerContext, every
from workspace.config import Settings
from workspace.connections.models import connected_account, mastodon_app, oauth_state, revocation
from workspace.connections.service import credentials_box

log = get_logger(__name__)
BATCH = 200
EVERY_SECONDS = 3600.0
# Each table's sealed column and the columns that name a row.
SEALED: Sequence[tuple[Table, str, tuple[str, ...]]] = (
    (connected_account, "credentials", ("id",)),
    (mastodon_app, "client_secret", ("instance_url", "redirect_uri")),
    (oauth_state, "secrets", ("id",)),
    (revocation, "credentials", ("id",)),
)


def _newest(settings: Settings) -> Fernet | None:
    if settings.credentials_keys is None:
        return None
    first = settings.credentials_keys.get_secret_value().split(",")[0].strip()
    return Fernet(first)


def _opens(key: Fernet, token: bytes) -> bool:
    try:
        key.decrypt(token)
    except InvalidToken:
        return False
    return True


async def reseal(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> int:
    """Seal again under the newest key every secret it cannot open yet; how many were."""
    newest = _newest(settings)
    if newest is None:
        return 0
    box = credentials_box(settings)
    count = 0
    for table, column, keys in SEALED:
        sealed: Column[bytes] = table.c[column]
        names: list[Column[object]] = [table.c[k] for k in keys]
        after: tuple[object, ...] | None = None
        while True:
            async with sessionmaker() as session, session.begin():
                query = select(*names, sealed).where(sealed.is_not(None))
                if after is not None:
                    query = query.where(tuple_(*names) > tuple_(*(literal(v) for v in after)))
                rows = (
                    await session.execute(
                        query.order_by(*names).limit(BATCH).with_for_update(skip_locked=True)
                    )
                ).all()
                for row in rows:
                    token = bytes(row._mapping[sealed])
                    if _opens(newest, token):
                        continue
                    try:
                        resealed = box.reseal(token)
                    except SecretsUnreadable:
                        # Sealed with a key no longer listed: nothing opens it, leave it be.
                        log.error("credentials.unreadable", table=table.name, row=str(row[0]))
                        continue
                    await session.execute(
                        update(table)
                        .where(*(n == v for n, v in zip(names, row[:-1], strict=True)))
                        .values({column: resealed})
                    )
                    count += 1
            if len(rows) < BATCH:
                break
            after = tuple(rows[-1][:-1])
    if count:
        log.info("credentials.resealed", count=count)
    return count


def rotation_jobs(ctx: WorkerContext) -> Sequence[Job]:
    """The worker's re-sealing job: at start, then every hour."""
    settings = ctx.settings
    if not isinstance(settings, Settings):
        raise TypeError("the workspace worker needs workspace.config.Settings")
    return [every(EVERY_SECONDS, partial(reseal, ctx.sessionmaker, settings), name="reseal")]
