"""Erasure requests' rules: a request is recorded and announced by `erasure.requested`; each
service holding authors' data erases what it has and reports `<service>.erasure.completed`; the
request is completed once every expected service has reported."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared import outbox
from beacon_shared.auth.principal import Principal
from beacon_shared.contracts.common import ErasureOutcome
from beacon_shared.contracts.workspace import ErasureRequested
from beacon_shared.events import Envelope
from beacon_shared.logging import get_logger
from beacon_shared.pagination import Cursor
from workspace.audit.service import record
from workspace.db import outbox as outbox_table
from workspace.erasures import repository
from workspace.erasures.exceptions import ErasureNotFound
from workspace.erasures.schemas import ErasureIn, ErasureOut, ServiceErasure

log = get_logger(__name__)
SOURCE = "/beacon/workspace"
# Every service that holds authors' data: a request is completed only when each has reported,
# so one that never does stays pending on the receipt instead of passing for done.
ERASING_SERVICES = ("ingest", "moderation", "analytics", "inbox")


async def request(session: AsyncSession, *, principal: Principal, body: ErasureIn) -> ErasureOut:
    """Record a request and announce it to every service, in the caller's transaction."""
    erasure_id = uuid.uuid4()
    requested_at = datetime.now(UTC)
    values = {
        "id": erasure_id,
        "tenant_id": principal.tenant_id,
        "brand_id": body.brand_id,
        "network": body.network.value,
        "author_id": body.author_id,
        "requested_by": principal.actor,
        "requested_at": requested_at,
    }
    await repository.add(session, values=values)
    payload = ErasureRequested(
        erasure_id=erasure_id,
        brand_id=body.brand_id,
        network=body.network,
        author_id=body.author_id,
        requested_by=principal.actor,
        requested_at=requested_at,
    )
    envelope = Envelope.build(
        payload, tenant_id=principal.tenant_id, subject=str(erasure_id), source=SOURCE
    )
    await outbox.stage(session, outbox_table, [envelope])
    # The author's id is personal data: the audit names the request, not whom it is about.
    await record(
        session,
        tenant_id=principal.tenant_id,
        actor=principal.actor,
        action="erasure.requested",
        target=str(erasure_id),
        detail={"brand_id": body.brand_id, "network": body.network.value},
    )
    return await get(session, tenant_id=principal.tenant_id, erasure_id=erasure_id)


async def get(session: AsyncSession, *, tenant_id: str, erasure_id: UUID) -> ErasureOut:
    """A request with its receipt (ErasureNotFound otherwise)."""
    row = await repository.get(session, tenant_id=tenant_id, erasure_id=erasure_id)
    if row is None:
        raise ErasureNotFound(f"No erasure request {erasure_id} in this organization.")
    return (await _receipts(session, [row]))[0]


async def page(
    session: AsyncSession, *, principal: Principal, after: Cursor | None, limit: int
) -> Sequence[Row[Any]]:
    """Requests the caller may read, newest first, `limit` of them at most."""
    return await repository.page(
        session,
        tenant_id=principal.tenant_id,
        brand_ids=principal.brands_for("privacy:read"),
        after=after,
        limit=limit,
    )


async def receipts(session: AsyncSession, rows: Sequence[Row[Any]]) -> list[ErasureOut]:
    """The receipts of these requests."""
    return await _receipts(session, rows)


async def report(
    session: AsyncSession, *, tenant_id: str, service: str, outcome: ErasureOutcome
) -> None:
    """Add one service's report to its request's receipt; the last expected one completes it."""
    found = await repository.lock(session, tenant_id=tenant_id, erasure_id=outcome.erasure_id)
    if found is None:
        log.warning("erasure.unknown", tenant_id=tenant_id, erasure_id=str(outcome.erasure_id))
        return
    await repository.add_step(
        session,
        erasure_id=outcome.erasure_id,
        service=service,
        erased=outcome.erased,
        completed_at=outcome.completed_at,
    )
    steps = await repository.steps(session, erasure_ids=[outcome.erasure_id])
    done = {s.service: s.completed_at for s in steps if s.service in ERASING_SERVICES}
    if found.completed_at is None and len(done) == len(ERASING_SERVICES):
        await repository.complete(session, erasure_id=outcome.erasure_id, at=max(done.values()))
        log.info("erasure.completed", tenant_id=tenant_id, erasure_id=str(outcome.erasure_id))


async def _receipts(session: AsyncSession, rows: Sequence[Row[Any]]) -> list[ErasureOut]:
    steps = await repository.steps(session, erasure_ids=[r.id for r in rows])
    by_request: dict[UUID, dict[str, Row[Any]]] = {}
    for step in steps:
        by_request.setdefault(step.erasure_id, {})[step.service] = step
    return [_receipt(row, by_request.get(row.id, {})) for row in rows]


def _receipt(row: Row[Any], steps: dict[str, Row[Any]]) -> ErasureOut:
    services = [
        ServiceErasure(
            service=name,
            status="completed" if name in steps else "pending",
            erased=dict(steps[name].erased) if name in steps else {},
            completed_at=steps[name].completed_at if name in steps else None,
        )
        for name in ERASING_SERVICES
    ]
    return ErasureOut(
        id=row.id,
        brand_id=row.brand_id,
        network=row.network,
        author_id=row.author_id,
        requested_by=row.requested_by,
        requested_at=row.requested_at,
        status="completed" if row.completed_at is not None else "pending",
        completed_at=row.completed_at,
        services=services,
    )
