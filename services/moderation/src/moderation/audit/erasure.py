"""What an erasure request deletes of the audit."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from moderation.audit.models import audit_entry
from moderation.db import delete_about


async def erase(session: AsyncSession, *, tenant_id: str, interaction_ids: Sequence[UUID]) -> int:
    """Delete the audit entries about these interactions; how many."""
    return await delete_about(
        session, audit_entry, tenant_id=tenant_id, interaction_ids=interaction_ids
    )
