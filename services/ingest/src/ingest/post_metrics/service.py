"""What other packages ask of the metrics poller: an account's last poll, and forgetting one."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from ingest.post_metrics import repository


def poll_state() -> Select[Any]:
    """Each scheduled account's last poll (account_id, polled_at, last_error), to join."""
    return repository.poll_state()


async def forget(session: AsyncSession, *, account_id: UUID) -> None:
    """Drop an account's schedule (it is no longer tracked)."""
    await repository.forget(session, account_id=account_id)
