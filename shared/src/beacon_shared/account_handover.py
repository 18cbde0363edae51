"""Handing a service's own accounts over to the workspace's registry, once each.

Ingest and the publisher connected accounts themselves before the registry existed, each with
its own key. No migration can move them (none may read another schema, nor holds both keys), so
each service's worker hands its accounts over: in batches, each account's credentials opened
with the service's key, put in the registry's shape, sealed with NETWORK_CREDENTIALS_KEYS and
staged as `<service>.account.handed_over` in the transaction that marks the row handed over.
The registry adopts it under the same id and announces it with `account.connected`, which turns
the service's row into a replica of the registry's (see docs/workspace.md).

Accounts without a brand stay where they are until given one; so do accounts whose credentials
the service's key no longer opens (logged, never shown).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from pydantic import SecretStr
from sqlalchemy import ColumnElement, Row, Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from beacon_shared.contracts.workspace import AccountKind
from beacon_shared.crypto import SecretBox, SecretsUnreadable
from beacon_shared.events import Envelope, EventPayload
from beacon_shared.logging import get_logger
from beacon_shared.network_credentials import SETTING as EVENT_KEYS
from beacon_shared.outbox import stage
from beacon_shared.worker import Job, every

log = get_logger(__name__)
BATCH = 100


@dataclass(frozen=True)
class RegistryForm:
    """An account as the registry holds it: its kind, its id on the network, where it lives
    and its credentials under the registry's names."""

    kind: AccountKind
    external_id: str
    instance_url: str | None
    credentials: Mapping[str, str]


@dataclass(frozen=True)
class HandOver:
    """One service's own accounts and how it hands them over.

    `event` is the service's AccountHandedOver; `table` has the columns id, tenant_id,
    brand_id, network, handle, display_name, status, credentials_encrypted, created_at and
    handed_over_at; `own` picks the service's own rows among them; `registry_form` puts a row
    and its opened credentials in the registry's shape (None for an account the registry does
    not take, e.g. the sandbox network).
    """

    table: Table
    own: ColumnElement[bool]
    event: type[EventPayload]
    source: str
    outbox: Table
    box: SecretBox
    event_keys: SecretStr | None
    registry_form: Callable[[Row[Any], Mapping[str, str]], RegistryForm | None]


def hand_over_job(
    sessionmaker: async_sessionmaker[AsyncSession], spec: HandOver, *, every_seconds: float
) -> Job:
    """The worker job: at start, then every `every_seconds` (an account connected or given a
    brand since goes then)."""
    return every(every_seconds, partial(hand_over, sessionmaker, spec), name="hand_accounts_over")


async def hand_over(sessionmaker: async_sessionmaker[AsyncSession], spec: HandOver) -> int:
    """Hand over every own account with a brand not handed over yet; how many were. Nothing
    without NETWORK_CREDENTIALS_KEYS (the credentials could not travel) or the service's key."""
    if spec.event_keys is None or not spec.box.configured:
        return 0
    events = SecretBox(spec.event_keys, setting=EVENT_KEYS)
    count, after = 0, None
    while True:
        async with sessionmaker() as session, session.begin():
            rows = await _claim(session, spec, after)
            if not rows:
                break
            after = rows[-1].id
            count += await _hand(session, spec, events, rows)
        if len(rows) < BATCH:
            break
    if count:
        log.info("accounts.handed_over", source=spec.source, count=count)
    return count


async def _claim(session: AsyncSession, spec: HandOver, after: Any) -> list[Row[Any]]:
    t = spec.table
    query = select(t).where(
        spec.own,
        t.c.brand_id.is_not(None),
        t.c.credentials_encrypted.is_not(None),
        t.c.handed_over_at.is_(None),
    )
    if after is not None:
        query = query.where(t.c.id > after)
    result = await session.execute(
        query.order_by(t.c.id).limit(BATCH).with_for_update(skip_locked=True)
    )
    return list(result.all())


async def _hand(
    session: AsyncSession, spec: HandOver, events: SecretBox, rows: list[Row[Any]]
) -> int:
    now = datetime.now(UTC)
    envelopes, handed = [], []
    for row in rows:
        try:
            opened = spec.box.decrypt(bytes(row.credentials_encrypted))
        except SecretsUnreadable:
            log.error("account.handover_unreadable", source=spec.source, account_id=str(row.id))
            continue
        form = spec.registry_form(row, opened)
        if form is None:
            continue
        payload = spec.event.model_validate(
            {
                "account_id": row.id,
                "brand_id": row.brand_id,
                "network": row.network,
                "kind": form.kind,
                "external_id": form.external_id,
                "handle": row.handle,
                "display_name": row.display_name,
                "instance_url": form.instance_url,
                "needs_reauth": row.status == "needs_reauth",
                "credentials": events.encrypt(dict(form.credentials)).decode("ascii"),
                "connected_at": row.created_at,
                "at": now,
            }
        )
        envelopes.append(
            Envelope.build(
                payload,
                tenant_id=row.tenant_id,
                subject=str(row.id),
                source=f"/beacon/{spec.source}",
            )
        )
        handed.append(row.id)
    await stage(session, spec.outbox, envelopes)
    if handed:
        await session.execute(
            update(spec.table).where(spec.table.c.id.in_(handed)).values(handed_over_at=now)
        )
    return len(handed)
