"""People managed through the workspace act everywhere: an invitee who accepts acts on another
service with the invited role's scopes, a personal token acts there as its member, and both are
refused there once the membership is removed (apps built with `API_KEY_CACHE_SECONDS=0`: with the
default 5 s, within that)."""

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
    {"sub": "owen", "email": "owen@agency.example", "name": "Owen"},
    {"sub": "nina", "email": "nina@agency.example", "name": "Nina"},
]


@pytest.fixture(scope="module")
def issuer() -> Iterator[LocalIssuer]:
    with running_issuer(USERS) as running:
        yield running


async def test_an_invitee_and_their_token_act_on_other_services_until_removed(
    issuer, engine, build_app, api_client
):
    org = f"acme-{uuid.uuid4().hex[:12]}"
    async with create_sessionmaker(engine)() as session, session.begin():
        await session.execute(insert(tenant).values(id=org, name=org))
        await add_member(session, tenant_id=org, issuer=issuer.issuer, subject="owen", role="owner")
    signed_in = {"oidc_issuer": issuer.issuer, "api_key_cache_seconds": 0}
    owner = {"Authorization": f"Bearer {await issuer.sign_in('owen')}", ORGANIZATION_HEADER: org}
    nina_token = await issuer.sign_in("nina")
    nina = {"Authorization": f"Bearer {nina_token}", ORGANIZATION_HEADER: org}

    async with (
        api_client(build_app("workspace", **signed_in)) as workspace,
        api_client(build_app("ingest", **signed_in)) as ingest,
    ):
        invited = await workspace.post(
            "/v1/invitations",
            json={"email": "nina@agency.example", "role": "analyst"},
            headers=owner,
        )
        joined = await workspace.post(
            "/v1/invitations/accept", json={"token": invited.json()["token"]}, headers=nina
        )
        token = await workspace.post("/v1/me/tokens", json={"name": "cli"}, headers=nina)
        personal = {"Authorization": f"Bearer {token.json()['key']}"}
        account = {"network": "sandbox", "external_account_id": f"page-{org}"}

        reads = [await ingest.get("/v1/accounts", headers=h) for h in (nina, personal)]
        writes = [
            await ingest.post("/v1/accounts", json=account, headers=h) for h in (nina, personal)
        ]
        removed = await workspace.delete(
            f"/v1/members/{joined.json()['member']['user_id']}", headers=owner
        )
        after = [await ingest.get("/v1/accounts", headers=h) for h in (nina, personal)]

    assert joined.status_code == 200, joined.text
    assert token.status_code == 201, token.text
    assert [r.status_code for r in reads] == [200, 200]
    assert [r.status_code for r in writes] == [403, 403]  # an analyst reads only
    assert removed.status_code == 204
    assert [r.status_code for r in after] == [403, 401]  # signed in but no member; token dead
