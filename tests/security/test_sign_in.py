"""Signing in with the deployment's OpenID Connect issuer (node-oidc-provider, started here): a
member's access token works on every service as their role allows, in the organization they
name; anyone else's is refused with a problem."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import insert

from beacon_shared.auth.members import ORGANIZATION_HEADER, add_member
from beacon_shared.auth.tables import tenant
from beacon_shared.db import create_sessionmaker
from beacon_shared.embedded_oidc import LocalIssuer
from beacon_shared.testing.oidc import running_issuer

pytestmark = pytest.mark.integration

USERS = [
    {"sub": "ada", "email": "ada@agency.example", "name": "Ada"},
    {"sub": "bob", "email": "bob@agency.example", "name": "Bob"},
    {"sub": "eve", "email": "eve@elsewhere.example", "name": "Eve"},
]


@pytest.fixture(scope="module")
def issuer() -> Iterator[LocalIssuer]:
    with running_issuer(USERS) as running:
        yield running


@pytest.fixture(scope="module")
async def agency(engine, issuer):
    """Two organizations: Ada owns one and is an analyst in the other; Bob is an agent in one."""
    run = uuid.uuid4().hex[:12]
    acme, globex = f"acme-{run}", f"globex-{run}"
    async with create_sessionmaker(engine)() as session, session.begin():
        await session.execute(insert(tenant), [{"id": t, "name": t} for t in (acme, globex)])
        for org, subject, role in ((acme, "ada", "owner"), (globex, "ada", "analyst")):
            await add_member(
                session, tenant_id=org, issuer=issuer.issuer, subject=subject, role=role
            )
        await add_member(session, tenant_id=acme, issuer=issuer.issuer, subject="bob", role="agent")
    return acme, globex


@pytest.fixture
def signed_in_app(build_app, issuer):
    return lambda service: build_app(service, oidc_issuer=issuer.issuer, oidc_audience="beacon")


async def test_a_member_signs_in_and_acts_in_the_organization_they_name(
    issuer, agency, signed_in_app, api_client
):
    acme, globex = agency
    token = await issuer.sign_in("ada")
    async with api_client(signed_in_app("ingest"), key=token) as http:
        created = await http.post(
            "/v1/accounts",
            json={"network": "sandbox", "external_account_id": f"page-{acme}"},
            headers={ORGANIZATION_HEADER: acme},
        )
        mine = await http.get("/v1/accounts", headers={ORGANIZATION_HEADER: acme})
        theirs = await http.get("/v1/accounts", headers={ORGANIZATION_HEADER: globex})
        analyst_write = await http.post(
            "/v1/accounts",
            json={"network": "sandbox", "external_account_id": f"page-{globex}"},
            headers={ORGANIZATION_HEADER: globex},
        )
        unnamed = await http.get("/v1/accounts")

    assert created.status_code == 201, created.text
    assert [a["id"] for a in mine.json()["items"]] == [created.json()["id"]]
    assert theirs.status_code == 200
    assert theirs.json()["items"] == []
    assert analyst_write.status_code == 403  # an analyst there: reads only
    assert unnamed.status_code == 403
    assert ORGANIZATION_HEADER in unnamed.json()["detail"]


async def test_a_member_of_one_organization_needs_not_name_it(
    issuer, agency, signed_in_app, api_client
):
    token = await issuer.sign_in("bob")
    async with api_client(signed_in_app("moderation"), key=token) as http:
        listed = await http.get("/v1/review-items")
        outside = await http.get("/v1/review-items", headers={ORGANIZATION_HEADER: agency[1]})
    assert listed.status_code == 200, listed.text
    assert outside.status_code == 403


async def test_someone_the_issuer_knows_but_no_organization_has_is_refused(
    issuer, agency, signed_in_app, api_client
):
    token = await issuer.sign_in("eve")
    async with api_client(signed_in_app("publisher"), key=token) as http:
        response = await http.get("/v1/posts")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


async def test_a_token_that_does_not_verify_is_a_401_problem(
    issuer, agency, signed_in_app, api_client
):
    token = await issuer.sign_in("ada")
    header, payload, signature = token.split(".")
    # A different first character changes the signature's first bits whatever it was.
    tampered = ("y" if signature[0] == "x" else "x") + signature[1:]
    async with api_client(signed_in_app("analytics"), key=f"{header}.{payload}.{tampered}") as http:
        response = await http.get("/v1/reports")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert "www-authenticate" in response.headers


async def test_without_an_issuer_configured_only_api_keys_are_accepted(
    issuer, agency, build_app, api_client
):
    token = await issuer.sign_in("ada")
    async with api_client(build_app("ingest"), key=token) as http:
        response = await http.get("/v1/accounts", headers={ORGANIZATION_HEADER: agency[0]})
    assert response.status_code == 401
