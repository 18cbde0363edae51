"""Members of organizations: who a signed-in user is in each, and what their role lets them do."""

from __future__ import annotations

import pytest
from sqlalchemy import insert

from beacon_shared.auth.members import MemberDirectory, add_member, choose
from beacon_shared.auth.oidc import Identity
from beacon_shared.auth.roles import ROLE_SCOPES
from beacon_shared.auth.tables import tenant
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
