"""Members of organizations: who a signed-in user is in each, and what their role lets them do."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import insert, select

from beacon_shared.auth.keys import issue_key
from beacon_shared.auth.members import (
    LastOwner,
    MemberDirectory,
    add_member,
    change_role,
    choose,
    remove_member,
)
from beacon_shared.auth.oidc import Identity
from beacon_shared.auth.roles import ROLE_SCOPES
from beacon_shared.auth.tables import membership, tenant
from beacon_shared.auth.verify import ApiKeyVerifier
from beacon_shared.db import create_sessionmaker
from beacon_shared.errors import InvalidInput, NotFound

pytestmark = pytest.mark.integration
ISSUER = "https://issuer.example"


def identity(subject: str) -> Identity:
    return Identity(ISSUER, subject, None, None, expires_at=0)


async def organizations(engine, *names: str) -> None:
    async with create_sessionmaker(engine)() as session, session.begin():
        await session.execute(insert(tenant), [{"id": name, "name": name} for name in names])


async def test_a_member_s_role_gives_its_scopes_in_each_organization(engine, unique):
    acme, globex, subject = unique("acme"), unique("globex"), unique("user")
    await organizations(engine, acme, globex)
    async with create_sessionmaker(engine)() as session, session.begin():
        await add_member(session, tenant_id=acme, issuer=ISSUER, subject=subject, role="agent")
        await add_member(session, tenant_id=globex, issuer=ISSUER, subject=subject, role="analyst")

    found = await MemberDirectory(engine).memberships(identity(subject))

    by_org = {m.tenant_id: m for m in found}
    assert by_org[acme].scopes == ROLE_SCOPES["agent"]
    assert "moderation:write" in by_org[acme].scopes
    assert "moderation:write" not in by_org[globex].scopes
    assert choose(found, globex) == by_org[globex]
    assert choose(found, None) is None  # two organizations: the request must name one
    assert choose(found, unique("other")) is None


async def test_adding_a_member_again_changes_their_role(engine, unique):
    acme, subject = unique("acme"), unique("user")
    await organizations(engine, acme)
    async with create_sessionmaker(engine)() as session, session.begin():
        await add_member(session, tenant_id=acme, issuer=ISSUER, subject=subject, role="editor")
        await add_member(session, tenant_id=acme, issuer=ISSUER, subject=subject, role="owner")

    (only,) = await MemberDirectory(engine).memberships(identity(subject))
    assert (only.role, choose([only], None)) == ("owner", only)


async def test_the_last_owner_is_not_demoted_by_adding_them_again(engine, unique):
    acme, subject = unique("acme"), unique("user")
    await organizations(engine, acme)
    async with create_sessionmaker(engine)() as session, session.begin():
        await add_member(session, tenant_id=acme, issuer=ISSUER, subject=subject, role="owner")
    async with create_sessionmaker(engine)() as session, session.begin():
        with pytest.raises(LastOwner):
            await add_member(session, tenant_id=acme, issuer=ISSUER, subject=subject, role="agent")

    (only,) = await MemberDirectory(engine).memberships(identity(subject))
    assert only.role == "owner"


async def test_a_user_of_another_issuer_is_someone_else(engine, unique):
    acme, subject = unique("acme"), unique("user")
    await organizations(engine, acme)
    async with create_sessionmaker(engine)() as session, session.begin():
        await add_member(session, tenant_id=acme, issuer=ISSUER, subject=subject, role="owner")

    elsewhere = Identity("https://other.example", subject, None, None, expires_at=0)
    assert await MemberDirectory(engine).memberships(elsewhere) == []


async def test_unknown_roles_and_organizations_are_refused(db_session, unique):
    with pytest.raises(InvalidInput, match="unknown role"):
        await add_member(db_session, tenant_id="x", issuer=ISSUER, subject="s", role="king")
    with pytest.raises(NotFound):
        await add_member(
            db_session, tenant_id=unique("none"), issuer=ISSUER, subject="s", role="owner"
        )


async def test_two_owners_demoting_each_other_at_once_leave_one_owner(engine, unique):
    acme = unique("acme")
    await organizations(engine, acme)
    async with create_sessionmaker(engine)() as session, session.begin():
        owners = [
            await add_member(session, tenant_id=acme, issuer=ISSUER, subject=s, role="owner")
            for s in (unique("ann"), unique("bea"))
        ]

    async def demote(user_id) -> None:
        async with create_sessionmaker(engine)() as session, session.begin():
            await change_role(session, tenant_id=acme, user_id=user_id, role="admin")
            await asyncio.sleep(0.2)  # hold the change open while the other one runs

    results = await asyncio.gather(*(demote(o.user_id) for o in owners), return_exceptions=True)

    assert sorted(type(r).__name__ for r in results) == ["LastOwner", "NoneType"]
    async with create_sessionmaker(engine)() as session:
        roles = sorted(
            (
                await session.execute(
                    select(membership.c.role).where(membership.c.tenant_id == acme)
                )
            ).scalars()
        )
    assert roles == ["admin", "owner"]


async def test_a_removed_member_s_personal_tokens_stay_dead_if_they_return(engine, unique):
    acme, subject = unique("acme"), unique("ivan")
    await organizations(engine, acme)
    async with create_sessionmaker(engine)() as session, session.begin():
        await add_member(session, tenant_id=acme, issuer=ISSUER, subject=unique("o"), role="owner")
        ivan = await add_member(
            session, tenant_id=acme, issuer=ISSUER, subject=subject, role="agent"
        )
        token = await issue_key(
            session, tenant_id=acme, name="laptop", scopes=["*"], user_id=ivan.user_id
        )
    verifier = ApiKeyVerifier(engine, cache_seconds=0)
    acting = await verifier.verify(token.key)

    async with create_sessionmaker(engine)() as session, session.begin():
        assert await remove_member(session, tenant_id=acme, user_id=ivan.user_id) == "agent"
    gone = await verifier.verify(token.key)
    async with create_sessionmaker(engine)() as session, session.begin():
        await add_member(session, tenant_id=acme, issuer=ISSUER, subject=subject, role="agent")

    assert acting is not None
    assert acting.user_id == ivan.user_id
    assert acting.scopes == ROLE_SCOPES["agent"]
    assert gone is None
    assert await verifier.verify(token.key) is None  # invited again: the old token stays revoked
