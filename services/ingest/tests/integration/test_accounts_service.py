"""Resolving network accounts to tenants, and credentials at rest."""

from __future__ import annotations

import uuid

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import text

from beacon_shared.contracts.common import Network
from beacon_shared.crypto import SecretsUnreadable
from ingest.accounts import service
from ingest.accounts.crypto import credential_box
from ingest.accounts.exceptions import AccountNotFound
from ingest.accounts.schemas import AccountIn, AccountPatch, ResolvedAccount

pytestmark = pytest.mark.integration

KEY = SecretStr(Fernet.generate_key().decode())


def body(**overrides: object) -> AccountIn:
    values: dict[str, object] = {
        "network": Network.sandbox,
        "external_account_id": f"sandbox-{uuid.uuid4().hex}",
    }
    values.update(overrides)
    return AccountIn.model_validate(values)


async def test_resolve_names_the_tenant_and_brand_of_a_connected_account(db_session, unique):
    tenant = unique("tenant")
    row = await service.connect(
        db_session, tenant_id=tenant, body=body(brand_id="b-1"), cipher=credential_box(None)
    )

    found = await service.resolve(
        db_session, network=Network.sandbox, external_account_id=row.external_account_id
    )

    assert found == ResolvedAccount(
        account_id=row.id, tenant_id=tenant, brand_id="b-1", status="active"
    )


async def test_resolve_finds_paused_accounts_and_nothing_for_unknown_ones(db_session, unique):
    row = await service.connect(
        db_session,
        tenant_id=unique("tenant"),
        body=body(status="paused"),
        cipher=credential_box(None),
    )

    paused = await service.resolve(
        db_session, network=Network.sandbox, external_account_id=row.external_account_id
    )
    other_network = await service.resolve(
        db_session, network=Network.facebook, external_account_id=row.external_account_id
    )
    unknown = await service.resolve(
        db_session, network=Network.sandbox, external_account_id="sandbox-never-connected"
    )

    assert paused is not None
    assert paused.status == "paused"
    assert other_network is None
    assert unknown is None


async def test_credentials_are_stored_encrypted_and_decrypt_for_pollers(db_session, unique):
    secret = f"token-{uuid.uuid4().hex}"
    row = await service.connect(
        db_session,
        tenant_id=unique("tenant"),
        body=body(credentials={"access_token": secret, "app_secret": secret[::-1]}),
        cipher=credential_box(KEY),
    )

    stored = (
        await db_session.execute(
            text(
                "SELECT t::text AS whole, t.credentials_encrypted AS token"
                " FROM ingest.connected_account t WHERE id = :id"
            ),
            {"id": row.id},
        )
    ).one()
    plain = await service.decrypt_credentials(db_session, account_id=row.id, key=KEY)

    assert stored.token is not None
    assert secret.encode() not in stored.token
    assert secret not in stored.whole
    assert secret[::-1] not in stored.whole
    assert plain == {"access_token": secret, "app_secret": secret[::-1]}


async def test_updated_credentials_replace_the_stored_ones(db_session, unique):
    tenant = unique("tenant")
    cipher = credential_box(KEY)
    row = await service.connect(
        db_session, tenant_id=tenant, body=body(credentials={"token": "old"}), cipher=cipher
    )
    await service.update(
        db_session,
        tenant_id=tenant,
        account_id=row.id,
        patch=AccountPatch(credentials={"token": "new"}),
        cipher=cipher,
    )
    assert await service.decrypt_credentials(db_session, account_id=row.id, key=KEY) == {
        "token": "new"
    }


async def test_decrypting_needs_the_key_that_encrypted(db_session, unique):
    row = await service.connect(
        db_session,
        tenant_id=unique("tenant"),
        body=body(credentials={"token": "t"}),
        cipher=credential_box(KEY),
    )
    other_key = SecretStr(Fernet.generate_key().decode())

    with pytest.raises(SecretsUnreadable):
        await service.decrypt_credentials(db_session, account_id=row.id, key=other_key)
    with pytest.raises(SecretsUnreadable):
        await service.decrypt_credentials(db_session, account_id=row.id, key=None)


async def test_decrypting_without_credentials_is_none_and_without_account_not_found(
    db_session, unique
):
    row = await service.connect(
        db_session, tenant_id=unique("tenant"), body=body(), cipher=credential_box(KEY)
    )

    assert await service.decrypt_credentials(db_session, account_id=row.id, key=KEY) is None
    with pytest.raises(AccountNotFound):
        await service.decrypt_credentials(db_session, account_id=uuid.uuid4(), key=KEY)
