"""Ingest's worker on the real broker keeps the workspace's accounts: a connection and its
refreshed token land in the connected_account table, and an event the key cannot open is
dead-lettered without holding back the ones after it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaProducer, ConsumerRecord
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import delete, select

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.topics import (
    ACCOUNT_CONNECTED,
    ACCOUNT_CREDENTIALS_CHANGED,
    ACCOUNT_DEAUTHORIZED,
    ACCOUNT_DISCONNECTED,
)
from beacon_shared.contracts.workspace import (
    AccountConnected,
    AccountCredentialsChanged,
    AccountKind,
    ConnectedAccount,
)
from beacon_shared.crypto import SecretBox, SecretsUnreadable
from beacon_shared.events import Envelope, EventPayload, encode, header
from beacon_shared.testing.plugin import eventually
from beacon_shared.testing.topic_probe import drain, probe
from beacon_shared.topics import ensure_topics
from beacon_shared.worker import run_worker
from ingest import worker
from ingest.accounts.models import connected_account
from ingest.config import Settings

pytestmark = [pytest.mark.integration, pytest.mark.kafka]

TOPICS = [
    ACCOUNT_CONNECTED,
    ACCOUNT_CREDENTIALS_CHANGED,
    ACCOUNT_DISCONNECTED,
    ACCOUNT_DEAUTHORIZED,
]


async def test_the_worker_keeps_the_workspace_s_accounts_and_dead_letters_what_it_cannot_open(
    settings_for, engine, unique, kafka_bootstrap
):
    tenant = unique("tenant")
    event_key, ingest_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    events = SecretBox(SecretStr(event_key), setting="NETWORK_CREDENTIALS_KEYS")
    stranger = SecretBox(SecretStr(Fernet.generate_key().decode()), setting="another key")
    mine = SecretBox(SecretStr(ingest_key), setting="INGEST_CREDENTIALS_KEY")
    # No polling nor acting: tests never leave the machine.
    settings = settings_for(
        Settings,
        worker_port=0,
        poll_enabled=False,
        metrics_poll_enabled=False,
        action_enabled=False,
        credentials_key=ingest_key,
        network_credentials_keys=event_key,
    )
    x = ConnectedAccount(
        account_id=uuid.uuid4(),
        brand_id="brand-1",
        network=Network.x,
        kind=AccountKind.x_user,
        external_id=uuid.uuid4().hex,
        handle="acme",
        scopes=["tweet.moderate.write"],
        version=1,
    )
    unreadable = x.model_copy(update={"account_id": uuid.uuid4(), "external_id": uuid.uuid4().hex})
    bad_token = f"tok-unreadable-{uuid.uuid4().hex}"

    def envelope(payload: EventPayload, subject: uuid.UUID) -> Envelope:
        return Envelope.build(
            payload, tenant_id=tenant, subject=str(subject), source="/beacon/workspace"
        )

    now = datetime.now(UTC)
    stream = [
        (
            ACCOUNT_CONNECTED,
            envelope(
                AccountConnected(
                    account=unreadable,
                    credentials=stranger.encrypt({"access_token": bad_token}).decode(),
                    reconnected=False,
                    connected_by="user:u-1",
                    at=now,
                ),
                x.account_id,
            ),
        ),
        (
            ACCOUNT_CONNECTED,
            envelope(
                AccountConnected(
                    account=x,
                    credentials=events.encrypt({"access_token": "tok-1"}).decode(),
                    reconnected=False,
                    connected_by="user:u-1",
                    at=now,
                ),
                x.account_id,
            ),
        ),
        (
            ACCOUNT_CREDENTIALS_CHANGED,
            envelope(
                AccountCredentialsChanged(
                    account=x.model_copy(update={"version": 2}),
                    credentials=events.encrypt({"access_token": "tok-2"}).decode(),
                    at=now,
                ),
                x.account_id,
            ),
        ),
    ]
    await ensure_topics(kafka_bootstrap, [*TOPICS, *(t.dlq for t in TOPICS)])
    stop = asyncio.Event()
    running = asyncio.create_task(
        run_worker(settings, worker.spec(settings), stop, serve_http=False)
    )
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=False)
    dead = await probe(kafka_bootstrap, ACCOUNT_CONNECTED.dlq)
    await producer.start()
    letters: list[ConsumerRecord] = []
    c = connected_account.c
    try:
        for spec, event in stream:
            await producer.send_and_wait(
                spec.name, value=encode(event), key=str(x.account_id).encode()
            )

        async def refreshed_and_dead_lettered() -> bool:
            letters.extend(
                r for r in await drain(dead) if str(unreadable.account_id) in str(r.value)
            )
            async with engine.connect() as conn:
                row = (
                    await conn.execute(select(connected_account).where(c.id == x.account_id))
                ).first()
            return row is not None and row.workspace_version == 2 and len(letters) == 1

        await eventually(refreshed_and_dead_lettered, timeout=30)

        async with engine.connect() as conn:
            row = (await conn.execute(select(connected_account).where(c.id == x.account_id))).one()
            lost = (
                await conn.execute(select(connected_account).where(c.id == unreadable.account_id))
            ).first()
        assert (row.tenant_id, row.brand_id, row.network, row.external_account_id, row.status) == (
            tenant,
            "brand-1",
            "x",
            x.external_id,
            "active",
        )
        # One key for every copy outside the registry: the platform's, not the service's own.
        assert events.decrypt(row.credentials_encrypted) == {"access_token": "tok-2"}
        with pytest.raises(SecretsUnreadable):
            mine.decrypt(row.credentials_encrypted)
        assert lost is None
        (letter,) = letters
        assert header(letter.headers, "dlq.reason") == "malformed"
        assert header(letter.headers, "dlq.consumer") == "ingest.accounts"
        assert "cannot be opened" in (header(letter.headers, "dlq.error") or "")
        # What is dead-lettered stays sealed: the token is in no header and not in clear.
        assert bad_token.encode() not in letter.value
        assert all(bad_token.encode() not in value for _, value in letter.headers)
    finally:
        stop.set()
        await producer.stop()
        await dead.stop()
        await running
        async with engine.begin() as conn:
            await conn.execute(delete(connected_account).where(c.tenant_id == tenant))
