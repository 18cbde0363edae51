"""Recording the workspace's writes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from workspace.audit.models import audit_entry


async def record(
    session: AsyncSession,
    *,
    tenant_id: str,
    actor: str,
    action: str,
    target: str,
    detail: Mapping[str, object] | None = None,
) -> None:
    """Note that `actor` did `action` to `target`, in the caller's transaction."""
    await session.execute(
        insert(audit_entry).values(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            actor=actor,
            action=action,
            target=target,
            detail=dict(detail or {}),
        )
    )
