"""Keys' rules: nobody issues more than they hold; personal tokens stay within their role."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.auth import keys
from beacon_shared.auth.keys import IssuedKey
from beacon_shared.auth.principal import Principal
from beacon_shared.auth.roles import ROLE_SCOPES
from workspace.audit.service import record
from workspace.keys.exceptions import ExpiryInThePast, ScopesNotHeld


def _not_held(wanted: Iterable[str], held: frozenset[str]) -> list[str]:
    """The scopes in `wanted` that `held` does not grant (`*` only comes from `*`)."""
    return sorted(s for s in set(wanted) if "*" not in held and s not in held)


def _check_expiry(expires_at: datetime | None) -> None:
    if expires_at is not None and expires_at <= datetime.now(UTC):
        raise ExpiryInThePast("expires_at is in the past.")


async def issue_organization_key(
    session: AsyncSession,
    *,
    principal: Principal,
    name: str,
    scopes: Sequence[str],
    rate_limit_per_minute: int | None,
    expires_at: datetime | None,
    brand_ids: Sequence[str] | None = None,
) -> IssuedKey:
    """A new key of the organization, with no scope the caller lacks itself (403)."""
    missing = _not_held(scopes, principal.scopes)
    if missing:
        raise ScopesNotHeld(f"You cannot grant scopes you do not hold: {', '.join(missing)}.")
    return await _issue(
        session,
        principal=principal,
        action="api_key.issued",
        name=name,
        scopes=scopes,
        rate_limit_per_minute=rate_limit_per_minute,
        expires_at=expires_at,
        brand_ids=brand_ids,
    )


async def issue_personal_token(
    session: AsyncSession,
    *,
    principal: Principal,
    name: str,
    scopes: Sequence[str],
    rate_limit_per_minute: int | None,
    expires_at: datetime | None,
) -> IssuedKey:
    """A token acting as the signed-in member, with no scope beyond their role (403); at each
    request it is cut down to their role then, and refused once they are no longer a member."""
    assert principal.user_id is not None
    assert principal.role is not None
    # `*` asks for whatever the role allows at each request, so any member may ask for it.
    missing = _not_held((s for s in scopes if s != "*"), ROLE_SCOPES[principal.role])
    if missing:
        raise ScopesNotHeld(f"Your role ({principal.role}) does not grant: {', '.join(missing)}.")
    return await _issue(
        session,
        principal=principal,
        action="personal_token.issued",
        name=name,
        scopes=scopes,
        rate_limit_per_minute=rate_limit_per_minute,
        expires_at=expires_at,
        user_id=principal.user_id,
    )


async def _issue(
    session: AsyncSession,
    *,
    principal: Principal,
    action: str,
    name: str,
    scopes: Sequence[str],
    rate_limit_per_minute: int | None,
    expires_at: datetime | None,
    user_id: UUID | None = None,
    brand_ids: Sequence[str] | None = None,
) -> IssuedKey:
    """Issue a key of the organization (or, with `user_id`, a member's) and audit it."""
    _check_expiry(expires_at)
    issued = await keys.issue_key(
        session,
        tenant_id=principal.tenant_id,
        name=name,
        scopes=scopes,
        expires_at=expires_at,
        rate_limit_per_minute=rate_limit_per_minute,
        user_id=user_id,
        brand_ids=brand_ids,
    )
    await record(
        session,
        tenant_id=principal.tenant_id,
        actor=principal.actor,
        action=action,
        target=f"key:{issued.id}",
        detail={
            "name": name,
            "scopes": list(issued.scopes),
            "brand_ids": None if issued.brand_ids is None else list(issued.brand_ids),
        },
    )
    return issued


async def list_organization_keys(
    session: AsyncSession, *, tenant_id: str
) -> list[dict[str, object]]:
    """The organization's own keys (not members' personal tokens)."""
    return await keys.list_keys(session, tenant_id=tenant_id, organization_only=True)


async def list_personal_tokens(
    session: AsyncSession, *, principal: Principal
) -> list[dict[str, object]]:
    """The caller's personal tokens in this organization."""
    assert principal.user_id is not None
    return await keys.list_keys(session, tenant_id=principal.tenant_id, user_id=principal.user_id)


async def revoke_organization_key(
    session: AsyncSession, *, principal: Principal, key_id: UUID
) -> None:
    """Revoke one of the organization's keys (404 for a personal token or another's key)."""
    await keys.revoke_key(
        session, tenant_id=principal.tenant_id, key_id=key_id, organization_only=True
    )
    await record(
        session,
        tenant_id=principal.tenant_id,
        actor=principal.actor,
        action="api_key.revoked",
        target=f"key:{key_id}",
    )


async def revoke_personal_token(
    session: AsyncSession, *, principal: Principal, key_id: UUID
) -> None:
    """Revoke one of the caller's own personal tokens."""
    assert principal.user_id is not None
    await keys.revoke_key(
        session, tenant_id=principal.tenant_id, key_id=key_id, user_id=principal.user_id
    )
    await record(
        session,
        tenant_id=principal.tenant_id,
        actor=principal.actor,
        action="personal_token.revoked",
        target=f"key:{key_id}",
    )
