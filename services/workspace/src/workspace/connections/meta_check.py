"""Meta's tokens kept honest: a Page token does not expire, but Meta invalidates it (a changed
password, the app removed, permissions revoked) and the app's access to the person's data lapses
90 days after they last used it. Nothing says so until a post fails: the checker asks Graph's
`debug_token` about each active Facebook Page and Instagram account, at most every
WORKSPACE_META_CHECK_INTERVAL_SECONDS, and marks one whose token no longer works, or whose data
access ends within WORKSPACE_META_CHECK_MARGIN_SECONDS, `needs_reauth` as the refresher does
(`account.deauthorized`: its scheduled posts are flagged before their time comes).

Accounts are claimed as the refresher claims them (`FOR UPDATE SKIP LOCKED`, then
`refresh_claimed_until` for the lease, then until the next check), so two workers never check
one account at once. A Graph that cannot be reached, or that refuses the app itself, is asked
again when the lease ends and never marks an account.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from beacon_shared.claim_call_record import ClaimCallRecord
from beacon_shared.crypto import SecretsUnreadable
from beacon_shared.logging import get_logger
from beacon_shared.networks.oauth import OAuthRefused, OAuthUnavailable
from beacon_shared.networks.oauth.meta import TokenStatus
from workspace.config import Settings
from workspace.connections import repository
from workspace.connections.apps import credentials_box, meta
from workspace.connections.refresh import deauthorize_unless_changed
from workspace.connections.repository import AnyRow

log = get_logger(__name__)
# Kinds acting with a Page token.
CHECKED = ("facebook_page", "instagram_business")
ACTOR = "worker:meta-check"


def problem(
    status: TokenStatus, *, granted: Sequence[str], now: datetime, margin: timedelta
) -> str | None:
    """Why an account with this token needs a person (short, safe to show), or None."""
    if not status.is_valid:
        return status.invalid_reason
    if status.expires_at is not None and status.expires_at <= now + margin:
        return "token_expiring"
    if status.data_access_expires_at is not None and status.data_access_expires_at <= now + margin:
        return "data_access_expiring"
    if status.scopes is not None and set(granted) - set(status.scopes):
        return "permissions_revoked"
    return None


@dataclass
class MetaChecker:
    """Checks due Meta accounts' tokens; `now` is the clock (tests move it)."""

    sessionmaker: async_sessionmaker[AsyncSession]
    settings: Settings
    http: httpx.AsyncClient
    now: Callable[[], datetime] = lambda: datetime.now(UTC)

    async def check_due(self) -> list[str]:
        """One pass: the outcome of each account claimed (valid, deauthorized, retry…)."""
        if not self.settings.meta_app_id or self.settings.meta_app_secret is None:
            return []  # no Meta app here: no Meta account could have been connected
        return await ClaimCallRecord(
            self.sessionmaker,
            claim=self._claim,
            call=self._ask,
            record=self._record,
            not_recorded=_not_recorded,
            # One account at a time, in the claim's order.
            slots=asyncio.Semaphore(1),
        ).once(self.settings.meta_check_batch_size)

    async def _claim(self, session: AsyncSession, limit: int) -> Sequence[AnyRow]:
        now = self.now()
        return await repository.claim_unchecked(
            session,
            kinds=CHECKED,
            now=now,
            lease_until=now + timedelta(seconds=self.settings.refresh_lease_seconds),
            limit=limit,
        )

    async def _ask(self, row: AnyRow) -> TokenStatus | None:
        """What Graph says of the account's token; None when it has none."""
        token = credentials_box(self.settings).decrypt(row.credentials).get("access_token")
        if not token:
            return None
        return await meta(self.settings, self.http).debug_token(token)

    async def _record(
        self, session: AsyncSession, row: AnyRow, result: TokenStatus | Exception | None
    ) -> str:
        match result:
            case None:
                return await deauthorize_unless_changed(
                    session, row, reason="no_access_token", actor=ACTOR, now=self.now()
                )
            case TokenStatus():
                return await self._judge(session, row, result)
            case SecretsUnreadable():
                # A key missing from WORKSPACE_CREDENTIALS_KEYS: an operator's fix, not the
                # account's.
                log.error(
                    "account.credentials_unreadable", account_id=str(row.id), reason=str(result)
                )
                return "unreadable"
            case OAuthUnavailable():
                log.warning("account.check_failed", account_id=str(row.id), reason=result.reason)
                return await _later(session, row)
            case OAuthRefused():
                # Graph refused the app's own token, or answered what it should not: not the
                # account's doing, so it is not marked; the operator sees the error.
                log.error(
                    "account.check_refused",
                    account_id=str(row.id),
                    reason=f"{result.code}: {result.reason}",
                )
                return await _later(session, row)
            case _:
                raise result

    async def _judge(self, session: AsyncSession, row: AnyRow, status: TokenStatus) -> str:
        now = self.now()
        reason = problem(
            status,
            granted=row.scopes,
            now=now,
            margin=timedelta(seconds=self.settings.meta_check_margin_seconds),
        )
        if reason is not None:
            return await deauthorize_unless_changed(
                session, row, reason=reason, actor=ACTOR, now=now
            )
        await repository.checked(
            session,
            row.id,
            next_at=now + timedelta(seconds=self.settings.meta_check_interval_seconds),
        )
        log.info(
            "account.checked",
            account_id=str(row.id),
            network=row.network,
            data_access_expires_at=status.data_access_expires_at,
        )
        return "valid"


async def _later(session: AsyncSession, row: AnyRow) -> str:
    """Asked again when the lease ends, counting a failure."""
    await repository.hold(session, row.id, until=row.refresh_claimed_until, failed=True)
    return "retry"


def _not_recorded(row: AnyRow, exc: Exception) -> str:
    """The database did not take the outcome: the account is due again when its lease ends."""
    log.warning("account.check_not_recorded", account_id=str(row.id), error=repr(exc))
    return "not_recorded"
