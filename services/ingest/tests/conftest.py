"""Ingest fixtures: accounts held as ingest holds them, connected in the workspace's registry
and kept by the `ingest.accounts` handlers, or connected here (sandbox, or before the registry)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.workspace import AccountKind
from beacon_shared.db import create_sessionmaker
from beacon_shared.testing.registry import CREDENTIALS, account_connected, registry_account
from ingest.accounts.crypto import credential_box
from ingest.accounts.handlers import AccountHandlers, AccountKeys
from ingest.accounts.models import connected_account
from ingest.accounts.replica import KINDS

# The platform's NETWORK_CREDENTIALS_KEYS of the registry accounts the tests connect.
EVENT_KEY = SecretStr(Fernet.generate_key().decode())
# The registry's kind of each network's accounts ingest keeps.
NETWORK_KIND: Mapping[Network, AccountKind] = {m.network: kind for kind, m in KINDS.items()}

KeepAccount = Callable[..., Awaitable[uuid.UUID]]


async def keep_account(
    session: AsyncSession,
    *,
    tenant_id: str,
    network: Network,
    external_id: str,
    credentials: Mapping[str, str] | None,
    ingest_key: str | SecretStr,
    brand_id: str = "brand-1",
    handle: str | None = "acme",
    legacy: bool = False,
) -> uuid.UUID:
    """One account of the tenant as ingest holds it (flushes only); its id.

    A network account with every credential ingest reads is connected in the workspace and kept
    by the `ingest.accounts` handlers, as in production; a sandbox account, one lacking
    credentials, or any with `legacy` is a row connected through ingest's own API (before the
    registry, for a network account), sealed with `ingest_key`.
    """
    key = ingest_key if isinstance(ingest_key, SecretStr) else SecretStr(ingest_key)
    kind = NETWORK_KIND.get(network)
    if (
        kind is not None
        and credentials is not None
        and not legacy
        and all(credentials.get(name) for name in KINDS[kind].credentials.values())
    ):
        registered = registry_account(
            kind,
            brand_id=brand_id,
            external_id=external_id,
            handle=handle,
            instance_url=credentials.get("base_url") or credentials.get("service"),
        )
        envelope = account_connected(
            registered, tenant_id=tenant_id, event_keys=EVENT_KEY, credentials=credentials
        )
        keys = AccountKeys(events=EVENT_KEY, ingest=key)
        await AccountHandlers(keys).connected(session, envelope)
        return registered.account_id
    account_id = uuid.uuid4()
    now = datetime.now(UTC)
    await session.execute(
        insert(connected_account).values(
            id=account_id,
            tenant_id=tenant_id,
            brand_id=brand_id,
            network=network.value,
            external_account_id=external_id,
            handle=handle,
            status="active",
            credentials_encrypted=(
                credential_box(key).encrypt(dict(credentials)) if credentials else None
            ),
            created_at=now,
            updated_at=now,
        )
    )
    return account_id


@pytest.fixture
def keep() -> KeepAccount:
    """`await keep(session, tenant_id=..., network=..., external_id=..., credentials=...,
    ingest_key=...)`: see keep_account."""
    return keep_account


ConnectReplica = Callable[..., Awaitable[uuid.UUID]]


@pytest.fixture
def connect_replica(engine: AsyncEngine) -> ConnectReplica:
    """`await connect_replica(tenant_id, network)`: a network account connected in the
    workspace's registry and kept by ingest (committed), its credentials sealed with a key of
    its own unless `ingest_key` is given; its id."""

    async def connect(
        tenant_id: str,
        network: Network,
        *,
        brand_id: str = "brand-1",
        external_id: str | None = None,
        ingest_key: str | SecretStr | None = None,
    ) -> uuid.UUID:
        async with create_sessionmaker(engine)() as session, session.begin():
            return await keep_account(
                session,
                tenant_id=tenant_id,
                network=network,
                external_id=external_id or f"{network.value}-{uuid.uuid4().hex}",
                credentials=CREDENTIALS[NETWORK_KIND[network]],
                ingest_key=ingest_key or Fernet.generate_key().decode(),
                brand_id=brand_id,
            )

    return connect
