"""SIGTERM on real processes and servers: workers drain and leave their group, APIs finish requests.

This is what Kubernetes and Compose do on every rollout, scale-in and node drain.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from deploy_support import ROOT
from drain_worker import EVENT_TYPE, spec_from_env, tables
from prometheus_client import REGISTRY
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from beacon_shared.consumer import ConsumerRunner
from beacon_shared.db import create_sessionmaker
from beacon_shared.embedded import free_port
from beacon_shared.events import Envelope, encode
from beacon_shared.kafka import create_producer
from beacon_shared.outbox_relay import OutboxRelay
from beacon_shared.settings import ServiceSettings
from beacon_shared.testing.plugin import eventually
from beacon_shared.topics import TopicSpec, ensure_topics

pytestmark = [pytest.mark.integration, pytest.mark.kafka, pytest.mark.slow]

HERE = Path(__file__).resolve().parent
ENTRYPOINT = ROOT / "deploy" / "image" / "entrypoint.sh"
# The members' session: a member that vanished without leaving keeps its partitions this long.
SESSION_MS = 12_000
WORKER_GRACE_SECONDS = 20  # well under the 60 s the Kubernetes manifests give a worker
API_GRACE_SECONDS = 10


def process_env(**values: str) -> dict[str, str]:
    """The test's environment with the virtualenv first on PATH, plus `values`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(values)
    return env


class Process:
    """A child process whose output is collected as it comes (a full pipe would block it)."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.output = bytearray()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, *args: str, env: dict[str, str]) -> Process:
        proc = await asyncio.create_subprocess_exec(
            *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        return cls(proc)

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        while chunk := await self.proc.stdout.read(65536):
            self.output.extend(chunk)

    async def wait(self, timeout: float) -> int:
        code = await asyncio.wait_for(self.proc.wait(), timeout)
        await self._reader
        return code

    @property
    def text(self) -> str:
        return self.output.decode(errors="replace")

    async def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        await self._reader


class Drain:
    """One stream to drain: its names, tables and counts."""

    def __init__(self, engine: AsyncEngine, unique) -> None:
        self.engine = engine
        self.schema = unique("drain").replace("-", "_")
        self.topic = unique("drain.records")
        self.follow_up = unique("drain.follow-ups")
        self.group = unique("drain")
        self.inbox, self.outbox, self.ledger = tables(self.schema)
        self.env = {
            "DRAIN_SCHEMA": self.schema,
            "DRAIN_TOPIC": self.topic,
            "DRAIN_FOLLOW_UP": self.follow_up,
            "DRAIN_GROUP": self.group,
        }

    async def create(self, kafka_bootstrap: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
            await conn.run_sync(self.ledger.metadata.create_all)
        await ensure_topics(
            kafka_bootstrap,
            [TopicSpec(self.topic, 6, "records"), TopicSpec(self.follow_up, 1, "follow-ups")],
        )

    async def scalar(self, query) -> int:
        async with self.engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def handled_by(self, member: str) -> int:
        return await self.scalar(
            select(func.count()).select_from(self.ledger).where(self.ledger.c.member == member)
        )

    async def handled(self) -> tuple[int, int]:
        """Ledger rows, and distinct records among them."""
        rows = await self.scalar(select(func.count()).select_from(self.ledger))
        distinct = await self.scalar(select(func.count(func.distinct(self.ledger.c.event_id))))
        return rows, distinct


async def group_members(bootstrap: str, group: str) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (response,) = await admin.describe_consumer_groups([group])
        return [str(member[0]) for described in response.groups for member in described[5]]
    finally:
        await admin.close()


async def read_all(bootstrap: str, topic: str, expected: int) -> list[tuple[str, str]]:
    """(key, value) of every record of a one-partition topic, once `expected` have arrived."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", fetch_max_wait_ms=50
    )
    await consumer.start()
    records: list[tuple[str, str]] = []
    try:
        async with asyncio.timeout(30):
            while len(records) < expected:
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    records.extend((r.key.decode(), r.value.decode()) for r in batch)
        # Anything sent twice would arrive by now.
        for batch in (await consumer.getmany(timeout_ms=1000)).values():
            records.extend((r.key.decode(), r.value.decode()) for r in batch)
    finally:
        await consumer.stop()
    return records


@contextlib.asynccontextmanager
async def streaming(bootstrap: str, topic: str) -> AsyncIterator[list[str]]:
    """Records sent to `topic` every 10 ms until the block ends; yields their event ids."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    await producer.start()
    sent: list[str] = []
    done = asyncio.Event()

    async def send() -> None:
        n = 0
        while not done.is_set():
            envelope = Envelope(
                type=EVENT_TYPE,
                source="/tests/drain",
                subject=f"thread-{n % 24}",
                time=datetime.now(UTC),
                tenantid="drain",
                data={"n": n},
            )
            await producer.send_and_wait(topic, encode(envelope), key=envelope.subject.encode())
            sent.append(str(envelope.id))
            n += 1
            await asyncio.sleep(0.01)

    task = asyncio.create_task(send())
    try:
        yield sent
    finally:
        done.set()
        await task
        await producer.stop()


def duplicates(group: str, topic: str) -> float:
    labels = {"group": group, "topic": topic, "outcome": "duplicate"}
    return REGISTRY.get_sample_value("beacon_consumer_events_total", labels) or 0.0


async def test_a_worker_stopped_mid_stream_drains_commits_and_leaves_its_group(
    engine, database_url, kafka_bootstrap, kafka_idempotence, unique
):
    drain = Drain(engine, unique)
    await drain.create(kafka_bootstrap)
    common = {
        "database_url": database_url,
        "kafka_bootstrap": kafka_bootstrap,
        "kafka_enable_idempotence": kafka_idempotence,
        "consumer_batch_size": 10,
        "consumer_session_timeout_ms": SESSION_MS,
        "log_format": "console",
    }
    # Member b runs in this process, without a relay, so only a's relay publishes follow-ups.
    settings_b = ServiceSettings(service_name="drain-b", **common)
    spec_b, _ = spec_from_env({**drain.env, "DRAIN_RELAY": "0"}, member="b", handle_seconds=0.05)
    producer_b = create_producer(settings_b)
    await producer_b.start()
    runner_b = ConsumerRunner(
        spec_b.consumers[0],
        settings=settings_b,
        sessionmaker=create_sessionmaker(engine),
        inbox=drain.inbox,
        producer=producer_b,
    )
    stop_b = asyncio.Event()
    member_b = asyncio.create_task(runner_b.run(stop_b))
    worker_a: Process | None = None
    try:
        async with streaming(kafka_bootstrap, drain.topic) as sent:
            await eventually(lambda: drain.handled_by("b"), timeout=60)
            worker_a = await Process.start(
                sys.executable,
                str(HERE / "drain_worker.py"),
                env=process_env(
                    **drain.env,
                    DATABASE_URL=database_url,
                    KAFKA_BOOTSTRAP=kafka_bootstrap,
                    KAFKA_ENABLE_IDEMPOTENCE=str(kafka_idempotence).lower(),
                    SERVICE_NAME="drain-a",
                    WORKER_PORT=str(free_port()),
                    BIND_HOST="127.0.0.1",
                    CONSUMER_BATCH_SIZE="10",
                    CONSUMER_SESSION_TIMEOUT_MS=str(SESSION_MS),
                    OUTBOX_POLL_SECONDS="0.2",
                    LOG_FORMAT="console",
                    DRAIN_MEMBER="a",
                    DRAIN_HANDLE_SECONDS="0.05",
                ),
            )
            # a joined (b gave up partitions to it) and is busy: stop it mid-stream.
            await eventually(lambda: _at_least(drain.handled_by("a"), 30), timeout=90)
            worker_a.proc.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            code = await worker_a.wait(WORKER_GRACE_SECONDS)
            stopped_in = time.monotonic() - signalled
            assert code == 0, worker_a.text
            assert stopped_in < WORKER_GRACE_SECONDS
            assert "outbox.drained" in worker_a.text

            # It left the group: the broker no longer counts it as a member...
            members = await group_members(kafka_bootstrap, drain.group)
            assert not [m for m in members if m.startswith(f"drain-a-{drain.group}")], members
            # ...so b owns every partition well before a's session could have expired.
            await eventually(
                lambda: len(runner_b._kafka.assignment()) == 6 if runner_b._kafka else False,
                timeout=1.3 * SESSION_MS / 1000,
            )
            # Its relay sent what its last batches staged before it exited.
            pending_from_a = await drain.scalar(
                select(func.count())
                .select_from(drain.outbox)
                .where(drain.outbox.c.key.like("a:%"), drain.outbox.c.relayed_at.is_(None))
            )
            assert pending_from_a == 0
            handled_by_a = await drain.handled_by("a")

        # The stream has ended; b handles what is left.
        await eventually(lambda: _at_least(drain.handled(), len(sent)), timeout=60)
        assert await drain.handled() == (len(sent), len(sent))
        inbox_rows = await drain.scalar(
            select(func.count())
            .select_from(drain.inbox)
            .where(drain.inbox.c.consumer == drain.group)
        )
        assert inbox_rows == len(sent)
        # a committed every record it handled: b was never handed one of them again.
        assert duplicates(drain.group, drain.topic) == 0
        assert 0 < handled_by_a < len(sent)

        # Every follow-up went out once: a's by its relay, b's by a relay run now.
        await OutboxRelay(engine=engine, table=drain.outbox, producer=producer_b).publish_pending()
        follow_ups = await read_all(kafka_bootstrap, drain.follow_up, len(sent))
        assert sorted(value for _, value in follow_ups) == sorted(sent)
        assert sum(key.startswith("a:") for key, _ in follow_ups) == handled_by_a
    finally:
        if worker_a is not None:
            await worker_a.kill()
        stop_b.set()
        await member_b
        await producer_b.stop()


async def _at_least(value, minimum: int) -> bool:
    found = await value
    count = found[0] if isinstance(found, tuple) else found
    return count >= minimum


def _connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def _read_until_closed(conn: socket.socket) -> bytes:
    """The whole answer: a stopping server closes the connection after it."""
    received = bytearray()
    while chunk := conn.recv(65536):
        received.extend(chunk)
    return bytes(received)


def _refused(port: int) -> bool:
    try:
        _connect(port).close()
    except ConnectionRefusedError:
        return True
    return False


async def test_the_api_finishes_a_request_in_flight_then_exits(
    database_url, kafka_bootstrap, issue_api_key, unique, tmp_path
):
    key = (await issue_api_key(unique("drain-api"), scopes=("interactions:write",))).key
    port = free_port()
    health_file = tmp_path / "health-url"
    api = await Process.start(
        "sh",
        str(ENTRYPOINT),
        "api",
        "ingest",
        env=process_env(
            DATABASE_URL=database_url,
            KAFKA_BOOTSTRAP=kafka_bootstrap,
            INGEST_HTTP_PORT=str(port),
            BIND_HOST="127.0.0.1",
            API_SHUTDOWN_GRACE_SECONDS=str(API_GRACE_SECONDS),
            BEACON_HEALTH_FILE=str(health_file),
            LOG_FORMAT="console",
        ),
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:

            async def ready() -> bool:
                with contextlib.suppress(httpx.TransportError):
                    return (await http.get("/readyz")).status_code == 200
                return False

            await eventually(ready, timeout=60, interval=0.25)
        assert health_file.read_text().strip() == f"http://127.0.0.1:{port}/healthz"

        body = json.dumps(
            {
                "kind": "comment",
                "external_id": unique("c"),
                "thread_external_id": "post-1",
                "author": {"network_id": "u-1"},
                "text": "Still there?",
                "created_at": datetime.now(UTC).isoformat(),
            }
        ).encode()
        head = (
            f"POST /v1/interactions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        conn = await asyncio.to_thread(_connect, port)
        try:
            # Half the request is in; the rest arrives after SIGTERM.
            conn.sendall(head + body[:10])
            await asyncio.sleep(0.3)
            api.proc.send_signal(signal.SIGTERM)
            # New connections are refused at once...
            await eventually(lambda: _refused(port), timeout=5, interval=0.05)
            assert api.proc.returncode is None
            # ...while the request in flight is still answered.
            conn.sendall(body[10:])
            response = await asyncio.to_thread(_read_until_closed, conn)
        finally:
            conn.close()
        status_line, _, rest = response.decode().partition("\r\n")
        assert status_line == "HTTP/1.1 202 Accepted", response
        assert json.loads(rest.split("\r\n\r\n", 1)[1])["duplicate"] is False
        code = await api.wait(API_GRACE_SECONDS + 5)
        # A drained stop is a success, not death by SIGTERM (143).
        assert code == 0, api.text
        assert "Application shutdown complete" in api.text
        assert "Finished server process" in api.text
    finally:
        await api.kill()
