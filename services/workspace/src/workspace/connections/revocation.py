"""Tokens revoked at the network after a disconnection, best effort and never in the way of it.

The disconnection copies the account's sealed credentials to `workspace.revocation` in its own
transaction, so they are not lost before the network hears of it. The worker claims due rows
(`FOR UPDATE SKIP LOCKED`, then `due_at` for the refresher's lease), revokes at the network (X:
the refresh and the access token; LinkedIn and Mastodon: the access token) and deletes the row.
A failure is tried again after WORKSPACE_REVOCATION_BACKOFF_SECONDS, doubled each time, up to
WORKSPACE_REVOCATION_ATTEMPTS, then given up (logged and audited). A token another of the
organization's accounts still holds (a LinkedIn member and the organizations they administer
share one; a reconnection may be handed the same) is not revoked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from beacon_shared.claim_call_record import ClaimCallRecord
from beacon_shared.crypto import SecretsUnreadable
from beacon_shared.logging import get_logger
from beacon_shared.networks.oauth import ClientApp, OAuthRefused, OAuthUnavailable
from beacon_shared.networks.oauth.mastodon import MastodonOAuth
from beacon_shared.waiting import doubling
from workspace.audit.service import record
from workspace.config import Settings
from workspace.connections import repository
from workspace.connections.apps import credentials_box, linkedin, redirect_uri, x
from workspace.connections.exceptions import NetworkNotConfigured
from workspace.connections.repository import AnyRow

log = get_logger(__name__)
ACTOR = "worker:revoker"
TOKENS = ("access_token", "refresh_token")


class NoMastodonApp(Exception):
    """Beacon has no app at the instance for this deployment's redirect URI any more."""


class _Failed(Exception):
    """A revocation that did not go through, and why (short, safe to store)."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def _not_recorded(row: AnyRow, exc: Exception) -> str:
    """The database did not take the outcome: the revocation is due again when its lease ends."""
    log.warning("account.revocation_not_recorded", account_id=str(row.account_id), error=repr(exc))
    return "not_recorded"


@dataclass
class Revoker:
    """Revokes disconnected accounts' tokens; `now` is the clock (tests move it)."""

    sessionmaker: async_sessionmaker[AsyncSession]
    settings: Settings
    http: httpx.AsyncClient
    now: Callable[[], datetime] = lambda: datetime.now(UTC)

    async def revoke_due(self) -> list[str]:
        """One pass: the outcome of each revocation claimed (revoked, in_use, retry, given_up)."""
        return await ClaimCallRecord(
            self.sessionmaker,
            claim=self._claim,
            call=self._revoke,
            record=self._record,
            not_recorded=_not_recorded,
            # One revocation at a time, in the claim's order.
            slots=asyncio.Semaphore(1),
        ).once(self.settings.revocation_batch_size)

    async def _claim(self, session: AsyncSession, limit: int) -> Sequence[AnyRow]:
        now = self.now()
        return await repository.claim_revocations(
            session,
            now=now,
            lease_until=now + timedelta(seconds=self.settings.refresh_lease_seconds),
            limit=limit,
        )

    async def _revoke(self, row: AnyRow) -> str:
        """Revoke the row's tokens at the network; what came of it when there was nothing to
        revoke (no_token, in_use), else revoked."""
        try:
            credentials = credentials_box(self.settings).decrypt(row.credentials)
        except SecretsUnreadable as exc:
            # A key missing from WORKSPACE_CREDENTIALS_KEYS: perhaps put back before the last try.
            raise _Failed("credentials_unreadable") from exc
        if not any(credentials.get(name) for name in TOKENS):
            return "no_token"
        if await self._still_held(row, credentials):
            return "in_use"
        try:
            await self._ask(row, credentials)
        except OAuthRefused as exc:
            raise _Failed(exc.code) from exc
        except OAuthUnavailable as exc:
            raise _Failed("network_unavailable") from exc
        except NetworkNotConfigured as exc:
            raise _Failed("network_not_configured") from exc
        except NoMastodonApp as exc:
            raise _Failed("no_app") from exc
        return "revoked"

    async def _record(self, session: AsyncSession, row: AnyRow, result: str | Exception) -> str:
        match result:
            case "revoked":
                return await self._done(session, row, "account.token_revoked", "revoked")
            case str():
                return await self._done(session, row, "account.revocation_skipped", result)
            case _Failed():
                return await self._failed(session, row, result.error)
            case _:
                raise result

    async def _still_held(self, row: AnyRow, credentials: Mapping[str, str]) -> bool:
        tokens = {credentials[name] for name in TOKENS if credentials.get(name)}
        box = credentials_box(self.settings)
        async with self.sessionmaker() as session:
            held = await repository.holding_credentials(
                session, tenant_id=row.tenant_id, network=row.network
            )
        for sealed in held:
            try:
                other = box.decrypt(sealed)
            except SecretsUnreadable:
                continue
            if tokens & {other[name] for name in TOKENS if other.get(name)}:
                return True
        return False

    async def _ask(self, row: AnyRow, credentials: Mapping[str, str]) -> None:
        if row.kind == "x_user":
            client = x(self.settings, self.http)
            # The refresh token first: revoked, nothing can mint a new access token meanwhile.
            for hint in ("refresh_token", "access_token"):
                if credentials.get(hint):
                    await client.revoke(credentials[hint], hint=hint)
            return
        access = credentials.get("access_token")
        if not access:
            return  # LinkedIn and Mastodon revoke access tokens only
        if row.kind in ("linkedin_member", "linkedin_organization"):
            await linkedin(self.settings, self.http).revoke(access)
        else:
            app = await self._mastodon_app(row.instance_url)
            await MastodonOAuth(self.http, app, row.instance_url).revoke(access)

    async def _mastodon_app(self, instance: str) -> ClientApp:
        async with self.sessionmaker() as session:
            app = await repository.mastodon_app_for(
                session, instance_url=instance, redirect_uri=redirect_uri(self.settings)
            )
        if app is None:
            raise NoMastodonApp(instance)
        secret = credentials_box(self.settings).decrypt(app.client_secret)["client_secret"]
        return ClientApp(app.client_id, SecretStr(secret))

    async def _done(self, session: AsyncSession, row: AnyRow, action: str, outcome: str) -> str:
        await repository.forget_revocation(session, row.id)
        await record(
            session,
            tenant_id=row.tenant_id,
            actor=ACTOR,
            action=action,
            target=f"connected_account:{row.account_id}",
            detail={"brand_id": row.brand_id, "network": row.network, "outcome": outcome},
        )
        log.info(action, account_id=str(row.account_id), network=row.network, outcome=outcome)
        return outcome

    async def _failed(self, session: AsyncSession, row: AnyRow, error: str) -> str:
        attempts = row.attempts + 1
        if attempts >= self.settings.revocation_attempts:
            log.warning(
                "account.revocation_given_up",
                account_id=str(row.account_id),
                network=row.network,
                attempts=attempts,
                error=error,
            )
            return await self._done(session, row, "account.revocation_given_up", "given_up")
        wait = doubling(self.settings.revocation_backoff_seconds, attempts - 1)
        await repository.retry_revocation(
            session,
            row.id,
            attempts=attempts,
            due_at=self.now() + timedelta(seconds=wait),
            error=error,
        )
        log.warning(
            "account.revocation_failed",
            account_id=str(row.account_id),
            network=row.network,
            attempts=attempts,
            error=error,
        )
        return "retry"
