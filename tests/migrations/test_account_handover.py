"""The accounts ingest and the publisher connected themselves, on databases their schemas from
before the registry filled, handed over to the workspace's registry with their credentials: each
service's hand-over, the registry's adoption and the services' takeover of their own rows, run
one after the other over the events each stages (what the relay and the consumers carry)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import Table, delete, insert, select
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    create_async_engine,
)

import ingest.config
import publisher.config
from beacon_shared.account_handover import hand_over
from beacon_shared.crypto import SecretBox, SecretsUnreadable
from beacon_shared.db import create_sessionmaker
from beacon_shared.events import Envelope, decode
from beacon_shared.migrations import upgrade
from beacon_shared.reseal import reseal
from beacon_shared.testing.databases import database_at
from ingest.accounts.handlers import AccountHandlers as IngestHandlers
from ingest.accounts.handlers import AccountKeys as IngestKeys
from ingest.accounts.handover import handover_spec as ingest_handover
from ingest.accounts.models import connected_account as ingest_account
from ingest.db import outbox as ingest_outbox
from ingest.worker import sealed_secrets as ingest_secrets
from publisher.accounts.handlers import AccountHandlers as PublisherHandlers
from publisher.accounts.handlers import AccountKeys as PublisherKeys
from publisher.accounts.handover import handover_spec as publisher_handover
from publisher.accounts.models import account as publisher_account
from publisher.accounts.models import account_slot
from publisher.authoring.models import post
from publisher.db import outbox as publisher_outbox
from publisher.delivery.models import post_target
from publisher.worker import sealed_secrets as publisher_secrets
from workspace.connections.handover import HandOver, HandOverKeys
from workspace.connections.models import connected_account as registry
from workspace.db import outbox as workspace_outbox

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
IAM = ROOT / "shared" / "alembic.ini"
WORKSPACE = ROOT / "services" / "workspace" / "alembic.ini"
INGEST = ROOT / "services" / "ingest" / "alembic.ini"
PUBLISHER = ROOT / "services" / "publisher" / "alembic.ini"
# The revisions before the brand and account registries.
INGEST_BEFORE = "839271d2c304"
PUBLISHER_BEFORE = "4a86f6569e52"

EVENT_KEY = Fernet.generate_key().decode()
INGEST_KEY = Fernet.generate_key().decode()
PUBLISHER_KEY = Fernet.generate_key().decode()
REGISTRY_KEY = Fernet.generate_key().decode()


@pytest.fixture
async def old_database(database_server_url: str) -> AsyncIterator[tuple[str, AsyncEngine]]:
    """iam and the workspace at head, ingest and the publisher from before the registry."""
    revisions = [(IAM, "head"), (WORKSPACE, "head"), (INGEST, INGEST_BEFORE)]
    async with database_at(database_server_url, [*revisions, (PUBLISHER, PUBLISHER_BEFORE)]) as url:
        engine = create_async_engine(url)
        yield url, engine
        await engine.dispose()


def _settings(settings_cls: type, url: str) -> object:
    return settings_cls(
        database_url=url,
        kafka_bootstrap="127.0.0.1:9",  # never reached: nothing here speaks to the broker
        credentials_key=SecretStr(
            INGEST_KEY if settings_cls is ingest.config.Settings else PUBLISHER_KEY
        ),
        network_credentials_keys=SecretStr(EVENT_KEY),
    )


async def _drain(session: AsyncSession, outbox: Table) -> list[Envelope]:
    """The events staged so far, taken off the outbox as the relay would."""
    values = (await session.execute(select(outbox.c.value).order_by(outbox.c.id))).scalars().all()
    await session.execute(delete(outbox))
    return [decode(value) for value in values]


async def _insert(session: AsyncSession, table: Table, rows: list[dict[str, object]]) -> None:
    for row in rows:
        await session.execute(insert(table).values(row))


def _sealed(key: str, credentials: dict[str, str]) -> bytes:
    return SecretBox(SecretStr(key), setting="test").encrypt(credentials)


def _opened(key: str, token: bytes) -> dict[str, str]:
    return SecretBox(SecretStr(key), setting="test").decrypt(bytes(token))


async def test_the_services_own_accounts_join_the_registry_with_their_credentials(
    old_database, unique
):
    url, engine = old_database
    sessions = create_sessionmaker(engine)
    tenant = unique("handover")
    now = datetime.now(UTC) - timedelta(days=30)
    ids = {
        name: uuid.uuid4()
        for name in ("page", "mastodon", "no_brand", "custom", "x", "org", "bsky", "sandbox")
    }

    # Filled by the schemas from before the registry, as their own APIs stored accounts.
    async with sessions() as session, session.begin():
        await _insert(
            session,
            ingest_account,
            [
                {
                    "id": ids["page"],
                    "tenant_id": tenant,
                    "brand_id": "cafe",
                    "network": "facebook",
                    "external_account_id": f"page-{tenant}",
                    "handle": "Café",
                    "created_at": now,
                    "updated_at": now,
                    "credentials_encrypted": _sealed(INGEST_KEY, {"access_token": "EAAB-page"}),
                },
                {
                    "id": ids["mastodon"],
                    "tenant_id": tenant,
                    "brand_id": "cafe",
                    "network": "mastodon",
                    "external_account_id": f"m-{tenant}",
                    "status": "needs_reauth",
                    "created_at": now,
                    "updated_at": now,
                    "credentials_encrypted": _sealed(
                        INGEST_KEY, {"base_url": "https://social.example", "access_token": "m-tok"}
                    ),
                },
                {
                    "id": ids["no_brand"],
                    "tenant_id": tenant,
                    "brand_id": None,
                    "network": "x",
                    "external_account_id": f"x-nobrand-{tenant}",
                    "created_at": now,
                    "updated_at": now,
                    "credentials_encrypted": _sealed(INGEST_KEY, {"access_token": "x-tok"}),
                },
                {
                    "id": ids["custom"],
                    "tenant_id": tenant,
                    "brand_id": "cafe",
                    "network": "custom",
                    "external_account_id": f"c-{tenant}",
                    "created_at": now,
                    "updated_at": now,
                    "credentials_encrypted": _sealed(INGEST_KEY, {"token": "c-tok"}),
                },
            ],
        )
        await _insert(
            session,
            publisher_account,
            [
                {
                    "id": ids["x"],
                    "tenant_id": tenant,
                    "brand_id": "cafe",
                    "network": "x",
                    "external_account_id": f"x-{tenant}",
                    "handle": "cafe",
                    "created_at": now,
                    "updated_at": now,
                    "credentials_encrypted": _sealed(PUBLISHER_KEY, {"access_token": "x-pub"}),
                },
                {
                    "id": ids["org"],
                    "tenant_id": tenant,
                    "brand_id": "cafe",
                    "network": "linkedin",
                    "external_account_id": f"urn:li:organization:{tenant}",
                    "created_at": now,
                    "updated_at": now,
                    "credentials_encrypted": _sealed(PUBLISHER_KEY, {"access_token": "li-tok"}),
                },
                {
                    "id": ids["bsky"],
                    "tenant_id": tenant,
                    "brand_id": "cafe",
                    "network": "bluesky",
                    "external_account_id": f"did:plc:{tenant}",
                    "instance_url": "https://pds.example",
                    "created_at": now,
                    "updated_at": now,
                    "credentials_encrypted": _sealed(
                        PUBLISHER_KEY, {"identifier": "cafe.example", "app_password": "app-pw"}
                    ),
                },
                {
                    "id": ids["sandbox"],
                    "tenant_id": tenant,
                    "brand_id": "cafe",
                    "network": "sandbox",
                    "external_account_id": f"s-{tenant}",
                    "created_at": now,
                    "updated_at": now,
                    "credentials_encrypted": _sealed(PUBLISHER_KEY, {"token": "s"}),
                },
            ],
        )
    for ini in (INGEST, PUBLISHER):
        await asyncio.to_thread(upgrade, ini, url, "head")

    ingest_settings = _settings(ingest.config.Settings, url)
    publisher_settings = _settings(publisher.config.Settings, url)
    assert await hand_over(sessions, ingest_handover(ingest_settings)) == 2
    assert await hand_over(sessions, publisher_handover(publisher_settings)) == 3
    # Once each: a second round finds nothing left to hand over.
    assert await hand_over(sessions, ingest_handover(ingest_settings)) == 0
    assert await hand_over(sessions, publisher_handover(publisher_settings)) == 0

    adopt = HandOver(HandOverKeys(events=SecretStr(EVENT_KEY), registry=SecretStr(REGISTRY_KEY)))
    async with sessions() as session, session.begin():
        handed = [*await _drain(session, ingest_outbox), *await _drain(session, publisher_outbox)]
        for envelope in handed:
            handler = adopt.ingest if envelope.type.startswith("ingest.") else adopt.publisher
            await handler(session, envelope)
        announced = await _drain(session, workspace_outbox)

    assert {e.type for e in handed} == {
        "ingest.account.handed_over",
        "publisher.account.handed_over",
    }
    async with sessions() as session:
        rows = {
            r.id: r
            for r in (
                await session.execute(select(registry).where(registry.c.tenant_id == tenant))
            ).all()
        }
    assert set(rows) == {ids["page"], ids["mastodon"], ids["x"], ids["org"], ids["bsky"]}
    assert (rows[ids["page"]].kind, rows[ids["page"]].status) == ("facebook_page", "active")
    assert _opened(REGISTRY_KEY, rows[ids["page"]].credentials) == {"access_token": "EAAB-page"}
    assert rows[ids["mastodon"]].status == "needs_reauth"
    assert rows[ids["mastodon"]].instance_url == "https://social.example"
    assert (rows[ids["org"]].kind, rows[ids["org"]].external_id) == (
        "linkedin_organization",
        tenant,
    )
    assert _opened(REGISTRY_KEY, rows[ids["bsky"]].credentials) == {
        "service": "https://pds.example",
        "identifier": "cafe.example",
        "app_password": "app-pw",
    }
    assert {r.connected_by for r in rows.values()} == {"service:ingest", "service:publisher"}
    assert sorted(e.type for e in announced) == [
        "workspace.account.connected",
        "workspace.account.connected",
        "workspace.account.connected",
        "workspace.account.connected",
        "workspace.account.deauthorized",
    ]

    # The announcements reach both services, as every registry account's do.
    ingest_handlers = IngestHandlers(IngestKeys.from_settings(ingest_settings))
    publisher_handlers = PublisherHandlers(PublisherKeys.from_settings(publisher_settings))
    async with sessions() as session, session.begin():
        for envelope in announced:
            for handlers in (ingest_handlers, publisher_handlers):
                if envelope.type == "workspace.account.connected":
                    await handlers.connected(session, envelope)
                else:
                    await handlers.deauthorized(session, envelope)

    async with sessions() as session:
        ingest_rows = {
            r.id: r
            for r in (
                await session.execute(
                    select(ingest_account).where(ingest_account.c.tenant_id == tenant)
                )
            ).all()
        }
        publisher_rows = {
            r.id: r
            for r in (
                await session.execute(
                    select(publisher_account).where(publisher_account.c.tenant_id == tenant)
                )
            ).all()
        }
    # Ingest's own rows are the registry's replicas now, under the same ids and credentials.
    assert ingest_rows[ids["page"]].workspace_version == 1
    assert _opened(EVENT_KEY, ingest_rows[ids["page"]].credentials_encrypted) == {
        "access_token": "EAAB-page"
    }
    assert (
        ingest_rows[ids["mastodon"]].workspace_version,
        ingest_rows[ids["mastodon"]].status,
    ) == (2, "needs_reauth")
    assert ingest_rows[ids["no_brand"]].workspace_version is None  # stays until given a brand
    assert ingest_rows[ids["custom"]].handed_over_at is None
    # So are the publisher's, its own credential names kept.
    assert {publisher_rows[i].source for i in (ids["x"], ids["org"], ids["bsky"])} == {"workspace"}
    assert _opened(EVENT_KEY, publisher_rows[ids["x"]].credentials_encrypted) == {
        "access_token": "x-pub"
    }
    assert publisher_rows[ids["org"]].external_account_id == f"urn:li:organization:{tenant}"
    assert publisher_rows[ids["sandbox"]].source == "publisher"
    # The publisher's replicas of ingest's accounts are new rows (it had none of them).
    assert publisher_rows[ids["page"]].source == "workspace"

    # What stays the services' own (no brand yet, the sandbox) is sealed again under the
    # platform's key, after which the services' own keys open nothing left.
    resealed = await reseal(
        sessions, [*ingest_secrets(ingest_settings), *publisher_secrets(publisher_settings)]
    )
    async with sessions() as session:
        stayed = {
            **dict(
                (
                    await session.execute(
                        select(ingest_account.c.id, ingest_account.c.credentials_encrypted).where(
                            ingest_account.c.id.in_([ids["no_brand"], ids["custom"]])
                        )
                    )
                ).all()
            ),
            **dict(
                (
                    await session.execute(
                        select(
                            publisher_account.c.id, publisher_account.c.credentials_encrypted
                        ).where(publisher_account.c.id == ids["sandbox"])
                    )
                ).all()
            ),
        }
    # And the Mastodon account, which needs reauthorizing, keeps its old credentials until then.
    assert resealed == 4
    assert await reseal(sessions, ingest_secrets(ingest_settings)) == 0
    assert _opened(EVENT_KEY, stayed[ids["no_brand"]]) == {"access_token": "x-tok"}
    assert _opened(EVENT_KEY, stayed[ids["custom"]]) == {"token": "c-tok"}
    assert _opened(EVENT_KEY, stayed[ids["sandbox"]]) == {"token": "s"}
    for name, key in (("no_brand", INGEST_KEY), ("custom", INGEST_KEY), ("sandbox", PUBLISHER_KEY)):
        with pytest.raises(SecretsUnreadable):
            _opened(key, stayed[ids[name]])


async def test_the_registrys_own_account_wins_and_takes_the_publishers_posts_over(
    old_database, unique
):
    url, engine = old_database
    sessions = create_sessionmaker(engine)
    tenant = unique("handover")
    own, registered, post_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    external = f"x-{tenant}"
    async with sessions() as session, session.begin():
        await _insert(
            session,
            publisher_account,
            [
                {
                    "id": own,
                    "tenant_id": tenant,
                    "brand_id": "cafe",
                    "network": "x",
                    "external_account_id": external,
                    "credentials_encrypted": _sealed(PUBLISHER_KEY, {"access_token": "old"}),
                }
            ],
        )
    await asyncio.to_thread(upgrade, PUBLISHER, url, "head")
    due = datetime.now(UTC) + timedelta(days=1)
    async with sessions() as session, session.begin():
        await session.execute(
            insert(post).values(id=post_id, tenant_id=tenant, text="hello", status="scheduled")
        )
        await session.execute(
            insert(post_target).values(
                id=uuid.uuid4(),
                post_id=post_id,
                tenant_id=tenant,
                account_id=str(own),
                network="x",
                status="scheduled",
                due_at=due,
            )
        )
        await session.execute(
            insert(account_slot).values(account_id=own, weekday=1, local_time=time(9, 0))
        )
        # Connected since through the workspace's OAuth flow, with fresher tokens.
        await session.execute(
            insert(registry).values(
                id=registered,
                tenant_id=tenant,
                brand_id="cafe",
                network="x",
                kind="x_user",
                external_id=external,
                credentials=_sealed(REGISTRY_KEY, {"access_token": "new", "refresh_token": "r"}),
                connected_by="user:someone",
                connected_at=datetime.now(UTC),
                version=3,
            )
        )
    publisher_settings = _settings(publisher.config.Settings, url)
    assert await hand_over(sessions, publisher_handover(publisher_settings)) == 1
    adopt = HandOver(HandOverKeys(events=SecretStr(EVENT_KEY), registry=SecretStr(REGISTRY_KEY)))
    handlers = PublisherHandlers(PublisherKeys.from_settings(publisher_settings))
    async with sessions() as session, session.begin():
        for envelope in await _drain(session, publisher_outbox):
            await adopt.publisher(session, envelope)
        announced = await _drain(session, workspace_outbox)
        for envelope in announced:
            await handlers.connected(session, envelope)

    assert [(e.type, e.subject) for e in announced] == [
        ("workspace.account.connected", str(registered))
    ]
    async with sessions() as session:
        held = (
            await session.execute(
                select(registry.c.id, registry.c.version).where(registry.c.tenant_id == tenant)
            )
        ).all()
        accounts = (
            await session.execute(
                select(publisher_account).where(publisher_account.c.tenant_id == tenant)
            )
        ).all()
        targets = (
            (
                await session.execute(
                    select(post_target.c.account_id).where(post_target.c.post_id == post_id)
                )
            )
            .scalars()
            .all()
        )
        slots = (
            (
                await session.execute(
                    select(account_slot.c.account_id).where(
                        account_slot.c.account_id.in_([own, registered])
                    )
                )
            )
            .scalars()
            .all()
        )
    assert held == [(registered, 4)]
    assert [(a.id, a.source) for a in accounts] == [(registered, "workspace")]
    assert _opened(EVENT_KEY, accounts[0].credentials_encrypted) == {"access_token": "new"}
    assert targets == [str(registered)]
    assert slots == [registered]
