"""Targets as authoring plans them (the accounts a post goes to and when), and as an account
that stops or comes back affects them. The SQL is in repository.targets."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Row, ScalarSelect, Subquery
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.logging import get_logger
from publisher.delivery.repository import targets as repository
from publisher.delivery.status import TargetStatus

log = get_logger(__name__)


async def add(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Add a post's targets."""
    await repository.insert_targets(session, rows)


async def of_posts(session: AsyncSession, post_ids: Collection[UUID]) -> list[Row[Any]]:
    """The targets of these posts, in a stable order."""
    return await repository.targets_of(session, post_ids)


async def lock(session: AsyncSession, post_id: UUID) -> list[Row[Any]]:
    """The post's targets, locked until the transaction ends (waits for a claim in progress)."""
    return await repository.lock_targets(session, post_id)


async def set_status(
    session: AsyncSession, *, post_id: UUID, status: TargetStatus, now: datetime
) -> None:
    """Move every target of a post not yet publishing to a workflow state."""
    await repository.set_target_status(session, post_id=post_id, status=status, now=now)


async def schedule(session: AsyncSession, *, due: Mapping[UUID, datetime], now: datetime) -> None:
    """Schedule targets, each at its own due time."""
    await repository.schedule_targets(session, due=due, now=now)


async def retry(session: AsyncSession, target_ids: Sequence[UUID], *, now: datetime) -> None:
    """Schedule failed targets again, due now, with their attempts counted afresh."""
    await repository.retry_targets(session, target_ids, now=now)


async def cancel(session: AsyncSession, *, post_id: UUID, now: datetime) -> None:
    """Cancel the post's targets (the caller holds their locks)."""
    await repository.cancel_targets(session, post_id=post_id, now=now)


async def copy(
    session: AsyncSession, *, source: UUID, new_id: UUID, at: datetime, now: datetime
) -> None:
    """Give a series' next post the targets of `source`, scheduled at `at`."""
    await repository.copy_targets(session, source=source, new_id=new_id, at=at, now=now)


async def taken_times(
    session: AsyncSession,
    *,
    account_id: str,
    start: datetime,
    end: datetime,
    exclude_post: UUID | None = None,
) -> set[datetime]:
    """Due times the account's live targets take in [start, end), other than `exclude_post`'s."""
    return await repository.taken_times(
        session, account_id=account_id, start=start, end=end, exclude_post=exclude_post
    )


def has_target(
    post_id: ColumnElement[UUID], *, account_id: str | None, network: str | None
) -> ColumnElement[bool]:
    """Whether the post has a target on this account and/or network (joins the caller's
    statement)."""
    return repository.has_target(post_id, account_id=account_id, network=network)


def networks_of(post_id: ColumnElement[UUID]) -> ScalarSelect[Any]:
    """The distinct networks of the post's targets (joins the caller's statement)."""
    return repository.networks_of(post_id)


def counts(post_ids: Collection[UUID]) -> Subquery:
    """Per post: its targets, those open, those started and those published."""
    return repository.target_counts(post_ids)


def account_warning(account: Row[Any]) -> dict[str, str | None]:
    """The warning a new target on a stopped account starts with (none on a usable one)."""
    if account.status == "needs_reauth":
        reason = account.status_reason or "its token was refused"
        return {
            "warning": f"the account needs reconnecting: {reason}",
            "warning_kind": "credentials",
        }
    if account.status == "disconnected":
        return {
            "warning": "the account was disconnected in the workspace",
            "warning_kind": "account",
        }
    return {"warning": None, "warning_kind": None}


async def warn_account_targets(
    session: AsyncSession,
    *,
    tenant_id: str,
    account_id: UUID,
    warning: str,
    kind: str,
    now: datetime,
) -> list[Row[Any]]:
    """Flag the account's targets not out yet (it stopped: they would fail at their time);
    their id, post and due time, soonest first."""
    flagged = await repository.warn_targets_of_account(
        session,
        tenant_id=tenant_id,
        account_id=str(account_id),
        warning=warning,
        kind=kind,
        now=now,
    )
    if flagged:
        log.warning(
            "account.targets_flagged", account_id=str(account_id), kind=kind, targets=len(flagged)
        )
    return flagged


async def move_account_targets(
    session: AsyncSession, *, tenant_id: str, from_account: UUID, to_account: UUID, now: datetime
) -> int:
    """The targets of an account taken over go to the account taking it over (a post already on
    both keeps its own there); how many stay behind."""
    return await repository.move_targets_of_account(
        session,
        tenant_id=tenant_id,
        from_account=str(from_account),
        to_account=str(to_account),
        now=now,
    )


async def clear_account_warnings(
    session: AsyncSession, *, tenant_id: str, account_id: UUID, now: datetime
) -> int:
    """The account is usable again: its targets lose their warnings; how many had one."""
    return await repository.clear_warnings_of_account(
        session, tenant_id=tenant_id, account_id=str(account_id), now=now
    )
