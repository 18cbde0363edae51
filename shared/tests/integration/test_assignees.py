"""Whom work on a brand may be given: a member whose roles grant the scope on that brand."""

from __future__ import annotations

import uuid

import pytest

from beacon_shared.auth.assignees import member_holds
from beacon_shared.auth.brands import register_brand
from beacon_shared.auth.members import add_member, remove_member, set_brand_roles

pytestmark = pytest.mark.integration
ISSUER = "https://issuer.example"
WRITE = "interactions:write"


async def member(session, tenant: str, role: str, brand_roles: dict[str, str] | None = None):
    joined = await add_member(
        session, tenant_id=tenant, issuer=ISSUER, subject=uuid.uuid4().hex, role=role
    )
    if brand_roles:
        await set_brand_roles(session, tenant_id=tenant, user_id=joined.user_id, roles=brand_roles)
    return joined.user_id


@pytest.fixture
async def tenant(db_session, unique):
    tenant = unique("org")
    for brand in ("brand-a", "brand-b"):
        await register_brand(db_session, tenant_id=tenant, brand_id=brand)
    return tenant


async def holds(session, tenant, brand, user_id, scope=WRITE) -> bool:
    return await member_holds(
        session, tenant_id=tenant, brand_id=brand, user_id=user_id, scope=scope
    )


async def test_an_organization_role_holds_on_every_brand_and_on_none(db_session, tenant):
    agent = await member(db_session, tenant, "agent")
    admin = await member(db_session, tenant, "admin")
    for user_id in (agent, admin):
        assert await holds(db_session, tenant, "brand-a", user_id)
        assert await holds(db_session, tenant, None, user_id)


async def test_a_brand_role_holds_on_its_brand_only(db_session, tenant):
    limited = await member(db_session, tenant, "agent", {"brand-a": "agent"})
    assert await holds(db_session, tenant, "brand-a", limited)
    assert not await holds(db_session, tenant, "brand-b", limited)
    assert not await holds(db_session, tenant, None, limited)


async def test_a_role_without_the_scope_does_not_hold(db_session, tenant):
    analyst = await member(db_session, tenant, "analyst")
    assert not await holds(db_session, tenant, "brand-a", analyst)
    assert await holds(db_session, tenant, "brand-a", analyst, scope="interactions:read")


async def test_no_one_outside_the_organization_holds(db_session, tenant, unique):
    elsewhere = unique("org")
    await register_brand(db_session, tenant_id=elsewhere, brand_id="brand-a")
    stranger = await member(db_session, elsewhere, "owner")
    assert not await holds(db_session, tenant, "brand-a", stranger)
    assert not await holds(db_session, tenant, "brand-a", uuid.uuid4())
    former = await member(db_session, tenant, "agent")
    await remove_member(db_session, tenant_id=tenant, user_id=former)
    assert not await holds(db_session, tenant, "brand-a", former)
