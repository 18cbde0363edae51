"""Invitations' rules: single use, hashed, seven days, for the address they name."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.auth import members
from beacon_shared.auth.brands import UnknownBrand, missing_brands
from beacon_shared.auth.keys import hash_key
from beacon_shared.auth.oidc import Identity
from beacon_shared.auth.principal import Principal
from beacon_shared.pagination import Cursor, split_page
from workspace.audit.service import record
from workspace.invitations import repository
from workspace.invitations.exceptions import (
    InvitationExpired,
    InvitationForAnotherEmail,
    InvitationNotFound,
    InvitationRevoked,
    InvitationUsed,
)
from workspace.invitations.repository import InvitationRow
from workspace.people.service import require_owner_for

TOKEN_PREFIX = "bi_"  # noqa: S105 - a prefix, not a secret
VALID_FOR = timedelta(days=7)


async def invite(
    session: AsyncSession,
    *,
    principal: Principal,
    email: str,
    role: str,
    brand_roles: Mapping[str, str],
) -> tuple[InvitationRow, str]:
    """A new invitation and its token (returned once; only its hash is stored). With
    `brand_roles` the invitee will work on those brands only (each must exist: UnknownBrand)."""
    require_owner_for(principal, role)
    if brand_roles:
        unknown = await missing_brands(
            session, tenant_id=principal.tenant_id, brand_ids=brand_roles
        )
        if unknown:
            raise UnknownBrand(unknown)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = await repository.add(
        session,
        {
            "id": uuid.uuid4(),
            "tenant_id": principal.tenant_id,
            "email": email,
            "role": role,
            "brand_roles": dict(brand_roles),
            "token_hash": hash_key(token),
            "created_by": principal.actor,
            "expires_at": datetime.now(UTC) + VALID_FOR,
        },
    )
    await record(
        session,
        tenant_id=principal.tenant_id,
        actor=principal.actor,
        action="invitation.created",
        target=f"invitation:{row.id}",
        detail={"email": email, "role": role, "brand_roles": dict(brand_roles)},
    )
    return row, token


async def list_page(
    session: AsyncSession, *, tenant_id: str, cursor: str | None, limit: int
) -> tuple[Sequence[InvitationRow], str | None]:
    """One page of the organization's invitations, newest first."""
    rows = await repository.page(
        session,
        tenant_id=tenant_id,
        after=Cursor.decode(cursor) if cursor else None,
        limit=limit + 1,
    )
    return split_page(rows, limit, at="created_at")


async def revoke(session: AsyncSession, *, principal: Principal, invitation_id: UUID) -> None:
    """Revoke a pending invitation (again: nothing changes); an accepted one is a 409."""
    row = await repository.get(session, tenant_id=principal.tenant_id, invitation_id=invitation_id)
    if row is None:
        raise InvitationNotFound(f"No invitation {invitation_id} here.")
    if row.accepted_at is not None:
        raise InvitationUsed("This invitation was accepted: remove the member instead.")
    if row.revoked_at is not None:
        return
    await repository.set_fields(
        session, invitation_id, revoked_at=datetime.now(UTC), revoked_by=principal.actor
    )
    await record(
        session,
        tenant_id=principal.tenant_id,
        actor=principal.actor,
        action="invitation.revoked",
        target=f"invitation:{invitation_id}",
    )


async def accept(
    session: AsyncSession, *, identity: Identity, token: str
) -> tuple[str, members.Membership]:
    """Make the signed-in person a member with the invitation's role; the organization and
    the membership.

    Refused: an unknown token (404), a revoked or expired invitation (410), one already used
    (409), someone already a member (409), and a person whose issuer vouches for another email
    address than the one invited (403).
    """
    row = await repository.by_token_hash(session, hash_key(token))
    if row is None:
        raise InvitationNotFound("No invitation has this token.")
    if row.accepted_at is not None:
        raise InvitationUsed("This invitation was already accepted; ask for a new one.")
    if row.revoked_at is not None:
        raise InvitationRevoked("This invitation was revoked; ask for a new one.")
    now = datetime.now(UTC)
    if row.expires_at <= now:
        raise InvitationExpired("This invitation has expired; ask for a new one.")
    if identity.email is not None and identity.email.casefold() != row.email.casefold():
        raise InvitationForAnotherEmail(
            "This invitation was sent to another email address than the one you signed in with."
        )
    # Brands deleted since the invitation are left out; with none left the invitation is void,
    # since a member without brand roles would work on every brand.
    gone = await missing_brands(session, tenant_id=row.tenant_id, brand_ids=row.brand_roles)
    brand_roles = {b: r for b, r in row.brand_roles.items() if b not in gone}
    if row.brand_roles and not brand_roles:
        raise InvitationRevoked("Every brand of this invitation was deleted; ask for a new one.")
    joined = await members.join(session, tenant_id=row.tenant_id, identity=identity, role=row.role)
    if brand_roles:
        await members.set_brand_roles(
            session, tenant_id=row.tenant_id, user_id=joined.user_id, roles=brand_roles
        )
    await repository.set_fields(session, row.id, accepted_at=now, accepted_by=joined.user_id)
    await record(
        session,
        tenant_id=row.tenant_id,
        actor=f"user:{joined.user_id}",
        action="invitation.accepted",
        target=f"invitation:{row.id}",
        detail={"role": row.role, "brand_roles": brand_roles},
    )
    return row.tenant_id, joined
