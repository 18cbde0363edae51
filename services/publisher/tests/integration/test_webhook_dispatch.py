"""Webhook dispatch against a real receiver on loopback: queueing, signing, retries, leases."""

from __future__ import annotations

import asyncio
import collections
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from cryptography.fernet import Fernet
from prometheus_client import REGISTRY
from pydantic import SecretStr
from sqlalchemy import delete, func, select, update

from beacon_shared.crypto import SecretBox
from beacon_shared.egress import EgressPolicy
from beacon_shared.testing.egress import LOCAL_EGRESS
from beacon_shared.webhooks import verify
from beacon_shared.webhooks.claims import LEASE_EXPIRED, ClaimedDelivery, Claims
from beacon_shared.webhooks.delivery import Attempt
from beacon_shared.webhooks.schedule import MAX_ATTEMPTS, Outcome
from publisher.webhooks import service
from publisher.webhooks.dispatcher import Dispatcher, DispatcherConfig
from publisher.webhooks.models import TABLES, webhook_attempt, webhook_delivery, webhook_endpoint
from publisher.webhooks.schemas import EndpointIn, EndpointPatch

pytestmark = pytest.mark.integration

BOX = SecretBox(SecretStr(Fernet.generate_key().decode()), setting="PUBLISHER_CREDENTIALS_KEY")

# The dispatcher's claims on the publisher's deliveries, as its worker makes them.
CLAIMS = Claims(TABLES)


class Middle:
    """Jitter fixed at the middle of its range, so retry times are exact."""

    def uniform(self, a: float, b: float) -> float:
        return (a + b) / 2


@dataclass
class Reply:
    """How the receiver answers one request."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"thanks"
    delay: float = 0.0


@dataclass(frozen=True)
class Received:
    """One request as the receiver read it off the socket."""

    headers: dict[str, str]
    body: bytes

    @property
    def msg_id(self) -> str:
        return self.headers["webhook-id"]

    def json(self) -> Any:
        return orjson.loads(self.body)


class Receiver:
    """A small HTTP/1.1 server on 127.0.0.1 that records requests and answers from a script."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.replies: collections.deque[Reply] = collections.deque()
        self.in_flight: collections.Counter[str] = collections.Counter()
        self.max_in_flight: collections.Counter[str] = collections.Counter()
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/beacon"

    def answer(self, *replies: Reply) -> None:
        """Answer the next requests with these, then 200."""
        self.replies.extend(replies)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readline()  # the request line
            headers: dict[str, str] = {}
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            request = Received(headers, body)
            self.received.append(request)
            reply = self.replies.popleft() if self.replies else Reply()
            msg_id = headers.get("webhook-id", "")
            self.in_flight[msg_id] += 1
            self.max_in_flight[msg_id] = max(self.max_in_flight[msg_id], self.in_flight[msg_id])
            try:
                await asyncio.sleep(reply.delay)
            finally:
                self.in_flight[msg_id] -= 1
            extra = "".join(f"{k}: {v}\r\n" for k, v in reply.headers.items())
            head = (
                f"HTTP/1.1 {reply.status} Status\r\ncontent-length: {len(reply.body)}\r\n"
                f"connection: close\r\n{extra}\r\n"
            )
            writer.write(head.encode() + reply.body)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = Receiver()
    await server.start()
    yield server
    await server.stop()


@dataclass(frozen=True)
class Endpoint:
    id: uuid.UUID
    secret: str


@pytest.fixture
async def tenant(sessionmaker, unique) -> AsyncIterator[str]:
    """A tenant whose endpoints (with their deliveries) are removed after the test."""
    tenant_id = unique("tenant")
    yield tenant_id
    async with sessionmaker() as session, session.begin():
        await session.execute(
            delete(webhook_endpoint).where(webhook_endpoint.c.tenant_id == tenant_id)
        )


@pytest.fixture
def add_endpoint(sessionmaker, tenant) -> Callable[..., Any]:
    """`await add_endpoint(url, event_types=[...], brand_ids=[...])` commits an endpoint."""

    async def add(url: str, **fields: Any) -> Endpoint:
        async with sessionmaker() as session, session.begin():
            created = await service.create_endpoint(
                session,
                tenant_id=tenant,
                body=EndpointIn(url=url, **fields),
                box=BOX,
                egress=LOCAL_EGRESS,
            )
        return Endpoint(created.endpoint.id, created.secret)

    return add


@pytest.fixture
def notify(sessionmaker, tenant) -> Callable[..., Any]:
    """`await notify(event_type, data)` queues an event for the tenant and commits it."""

    async def queue(event_type: str = "post.published", data: Any = None, **kw: Any) -> int:
        async with sessionmaker() as session, session.begin():
            return await service.notify(
                session,
                tenant_id=tenant,
                event_type=event_type,
                data=data if data is not None else {"post_id": "p-1"},
                brand_id=kw.get("brand_id"),
            )

    return queue


@pytest.fixture
async def make_dispatcher(sessionmaker) -> AsyncIterator[Callable[..., Dispatcher]]:
    made: list[Dispatcher] = []

    def make(
        *, box: SecretBox = BOX, egress: EgressPolicy = LOCAL_EGRESS, **config: Any
    ) -> Dispatcher:
        dispatcher = Dispatcher(
            sessionmaker=sessionmaker,
            box=box,
            config=DispatcherConfig(worker_id=f"test-{len(made)}", egress=egress, **config),
            rng=Middle(),
        )
        made.append(dispatcher)
        return dispatcher

    yield make
    for dispatcher in made:
        await dispatcher.aclose()


async def deliveries(engine, endpoint_id: uuid.UUID) -> list[Any]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(webhook_delivery)
            .where(webhook_delivery.c.endpoint_id == endpoint_id)
            .order_by(webhook_delivery.c.created_at)
        )
        return list(rows.all())


async def attempts(engine, delivery_id: uuid.UUID) -> list[Any]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(webhook_attempt)
            .where(webhook_attempt.c.delivery_id == delivery_id)
            .order_by(webhook_attempt.c.attempt)
        )
        return list(rows.all())


async def make_due(sessionmaker, delivery_id: uuid.UUID) -> None:
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(webhook_delivery)
            .where(webhook_delivery.c.id == delivery_id)
            .values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
        )


def counted(outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "beacon_publisher_webhook_deliveries_total", {"outcome": outcome}
    )
    return value or 0.0


class TestNotify:
    async def test_one_delivery_per_enabled_endpoint_subscribed_to_the_type_and_brand(
        self, db_session, unique
    ):
        tenant = unique("tenant")

        async def endpoint(**fields: Any) -> uuid.UUID:
            created = await service.create_endpoint(
                db_session,
                tenant_id=tenant,
                body=EndpointIn(url="https://hooks.example.com/beacon", **fields),
                box=BOX,
                egress=EgressPolicy(),
            )
            return created.endpoint.id

        everything = await endpoint()
        published = await endpoint(event_types=["post.published", "post.failed"])
        await endpoint(event_types=["post.failed"])
        brand_1 = await endpoint(brand_ids=["brand-1"])
        await endpoint(brand_ids=["brand-2"])
        disabled = await endpoint()
        await service.update_endpoint(
            db_session,
            tenant_id=tenant,
            endpoint_id=disabled,
            patch=EndpointPatch(enabled=False),
            egress=EgressPolicy(),
        )
        await service.create_endpoint(
            db_session,
            tenant_id=unique("other-tenant"),
            body=EndpointIn(url="https://hooks.example.com/beacon"),
            box=BOX,
            egress=EgressPolicy(),
        )
        post_id = uuid.uuid4()
        at = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)

        queued = await service.notify(
            db_session,
            tenant_id=tenant,
            event_type="post.published",
            data={"post_id": post_id, "published_at": at},
            brand_id="brand-1",
        )
        brandless = await service.notify(
            db_session,
            tenant_id=tenant,
            event_type="post.published",
            data={"post_id": post_id},
            brand_id=None,
        )

        rows = (
            await db_session.execute(
                select(webhook_delivery)
                .where(webhook_delivery.c.tenant_id == tenant)
                .order_by(webhook_delivery.c.created_at)
            )
        ).all()
        assert (queued, brandless) == (3, 2)
        first = [r for r in rows if r.payload["data"].get("published_at")]
        assert {r.endpoint_id for r in first} == {everything, published, brand_1}
        assert {r.endpoint_id for r in rows if r not in first} == {everything, published}
        assert {(r.status, r.attempts, r.event_type) for r in rows} == {
            ("pending", 0, "post.published")
        }
        assert len({r.id for r in rows}) == 5
        body = first[0].payload
        assert body["type"] == "post.published"
        assert body["data"] == {"post_id": str(post_id), "published_at": "2026-11-25T09:30:00Z"}
        assert datetime.fromisoformat(body["timestamp"]) <= datetime.now(UTC)

    async def test_nothing_is_queued_when_the_callers_transaction_rolls_back(
        self, sessionmaker, engine, add_endpoint, tenant
    ):
        endpoint = await add_endpoint("https://hooks.example.com/beacon")

        async with sessionmaker() as session:
            await session.begin()
            queued = await service.notify(
                session, tenant_id=tenant, event_type="post.failed", data={}, brand_id=None
            )
            await session.rollback()  # the post change it accompanied failed

        assert queued == 1
        assert await deliveries(engine, endpoint.id) == []


class TestDelivery:
    async def test_a_delivery_arrives_signed_on_the_first_try(
        self, receiver, add_endpoint, notify, make_dispatcher, engine
    ):
        endpoint = await add_endpoint(receiver.url)
        before = counted("delivered")
        await notify("post.published", {"post_id": "p-42", "text": "Launch day! 🚀"})

        claimed = await make_dispatcher().tick()

        (request,) = receiver.received
        verify(endpoint.secret, request.headers, request.body, now=datetime.now(UTC))
        (row,) = await deliveries(engine, endpoint.id)
        assert claimed == 1
        assert request.msg_id == str(row.id)
        assert request.headers["content-type"] == "application/json"
        assert request.json() == row.payload
        assert request.json()["data"] == {"post_id": "p-42", "text": "Launch day! 🚀"}
        assert (row.status, row.attempts, row.last_status_code) == ("delivered", 1, 200)
        assert row.delivered_at is not None
        assert (row.next_attempt_at, row.lease_until) == (None, None)
        (attempt,) = await attempts(engine, row.id)
        assert (attempt.attempt, attempt.outcome, attempt.status_code) == (1, "delivered", 200)
        assert attempt.response_excerpt == "thanks"
        assert counted("delivered") == before + 1

    async def test_a_500_is_retried_on_schedule_and_both_attempts_are_logged(
        self, receiver, add_endpoint, notify, make_dispatcher, engine, sessionmaker
    ):
        endpoint = await add_endpoint(receiver.url)
        receiver.answer(Reply(500, body=b"database down"))
        await notify()
        dispatcher = make_dispatcher()

        await dispatcher.tick()

        (row,) = await deliveries(engine, endpoint.id)
        (failed,) = await attempts(engine, row.id)
        assert (row.status, row.attempts, row.last_status_code) == ("pending", 1, 500)
        ended = failed.at + timedelta(milliseconds=failed.duration_ms)
        assert row.next_attempt_at == ended + timedelta(seconds=5)
        assert (failed.outcome, failed.response_excerpt) == ("retry", "database down")
        assert await dispatcher.tick() == 0  # not due for another five seconds

        await make_due(sessionmaker, row.id)
        await dispatcher.tick()

        (row,) = await deliveries(engine, endpoint.id)
        assert (row.status, row.attempts, row.last_status_code) == ("delivered", 2, 200)
        log = await attempts(engine, row.id)
        assert [(a.attempt, a.status_code, a.outcome) for a in log] == [
            (1, 500, "retry"),
            (2, 200, "delivered"),
        ]
        first, second = receiver.received
        assert first.msg_id == second.msg_id == str(row.id)
        assert first.json() == second.json()
        for request in receiver.received:
            verify(endpoint.secret, request.headers, request.body, now=datetime.now(UTC))

    async def test_retry_after_lengthens_the_wait(
        self, receiver, add_endpoint, notify, make_dispatcher, engine
    ):
        endpoint = await add_endpoint(receiver.url)
        receiver.answer(Reply(503, headers={"Retry-After": "3600"}))
        await notify()

        await make_dispatcher().tick()

        (row,) = await deliveries(engine, endpoint.id)
        (attempt,) = await attempts(engine, row.id)
        ended = attempt.at + timedelta(milliseconds=attempt.duration_ms)
        assert row.status == "pending"
        assert row.next_attempt_at == ended + timedelta(hours=1)

    async def test_a_400_fails_at_once_without_retries(
        self, receiver, add_endpoint, notify, make_dispatcher, engine
    ):
        endpoint = await add_endpoint(receiver.url)
        receiver.answer(Reply(400, body=b"unknown field"))
        before = counted("failed")
        await notify()

        await make_dispatcher().tick()

        (row,) = await deliveries(engine, endpoint.id)
        assert (row.status, row.next_attempt_at, row.last_status_code) == ("failed", None, 400)
        assert "400" in row.last_error
        assert counted("failed") == before + 1

    async def test_a_410_disables_the_endpoint_and_its_other_deliveries_wait_for_it(
        self, receiver, add_endpoint, notify, make_dispatcher, engine, sessionmaker, tenant
    ):
        endpoint = await add_endpoint(receiver.url)
        receiver.answer(Reply(410))
        await notify()
        await notify()
        dispatcher = make_dispatcher(batch_size=1)

        await dispatcher.tick()

        assert await dispatcher.tick() == 0
        assert await notify() == 0  # a disabled endpoint gets nothing new
        async with engine.connect() as conn:
            state = (
                await conn.execute(
                    select(webhook_endpoint.c.enabled, webhook_endpoint.c.disabled_reason).where(
                        webhook_endpoint.c.id == endpoint.id
                    )
                )
            ).one()
        (gone,) = [r for r in await deliveries(engine, endpoint.id) if r.status == "failed"]
        (waiting,) = [r for r in await deliveries(engine, endpoint.id) if r.status == "pending"]
        assert state.enabled is False
        assert "410 Gone" in state.disabled_reason
        assert gone.last_status_code == 410
        assert "disabled" in gone.last_error
        assert [r.msg_id for r in receiver.received] == [str(gone.id)]

        async with sessionmaker() as session, session.begin():
            await service.update_endpoint(
                session,
                tenant_id=tenant,
                endpoint_id=endpoint.id,
                patch=EndpointPatch(enabled=True),
                egress=LOCAL_EGRESS,
            )
        await dispatcher.tick()

        assert [r.msg_id for r in receiver.received] == [str(gone.id), str(waiting.id)]
        statuses = {r.id: r.status for r in await deliveries(engine, endpoint.id)}
        assert statuses == {gone.id: "failed", waiting.id: "delivered"}

    async def test_the_last_retryable_failure_gives_up(
        self, receiver, add_endpoint, notify, make_dispatcher, engine, sessionmaker
    ):
        endpoint = await add_endpoint(receiver.url)
        receiver.answer(Reply(502))
        await notify()
        (row,) = await deliveries(engine, endpoint.id)
        async with sessionmaker() as session, session.begin():
            await session.execute(
                update(webhook_delivery)
                .where(webhook_delivery.c.id == row.id)
                .values(attempts=MAX_ATTEMPTS - 1)
            )

        await make_dispatcher().tick()

        (row,) = await deliveries(engine, endpoint.id)
        assert (row.status, row.attempts, row.next_attempt_at) == ("failed", MAX_ATTEMPTS, None)
        assert row.last_error.startswith(f"gave up after {MAX_ATTEMPTS} attempts")

    async def test_a_refused_connection_is_retried_with_the_error_logged(
        self, receiver, add_endpoint, notify, make_dispatcher, engine
    ):
        endpoint = await add_endpoint(receiver.url)
        await receiver.stop()  # nothing listens on the endpoint's port any more
        await notify()

        await make_dispatcher().tick()

        (row,) = await deliveries(engine, endpoint.id)
        (attempt,) = await attempts(engine, row.id)
        assert (row.status, row.last_status_code) == ("pending", None)
        assert (attempt.outcome, attempt.status_code) == ("retry", None)
        assert attempt.error.startswith("ConnectError")
        assert receiver.received == []

    async def test_a_receiver_slower_than_the_timeout_is_retried(
        self, receiver, add_endpoint, notify, make_dispatcher, engine
    ):
        endpoint = await add_endpoint(receiver.url)
        receiver.answer(Reply(delay=2.0))
        await notify()

        await make_dispatcher(timeout=0.3, lease=timedelta(seconds=10)).tick()

        (row,) = await deliveries(engine, endpoint.id)
        (attempt,) = await attempts(engine, row.id)
        assert row.status == "pending"
        assert attempt.outcome == "retry"
        assert "Timeout" in attempt.error
        assert attempt.duration_ms < 2000

    async def test_redelivery_after_a_failure_sends_the_same_message_again(
        self, receiver, add_endpoint, notify, make_dispatcher, engine, sessionmaker, tenant
    ):
        endpoint = await add_endpoint(receiver.url)
        receiver.answer(Reply(404))
        await notify()
        dispatcher = make_dispatcher()
        await dispatcher.tick()
        (failed,) = await deliveries(engine, endpoint.id)
        assert failed.status == "failed"

        async with sessionmaker() as session, session.begin():
            again = await service.redeliver(session, tenant_id=tenant, delivery_id=failed.id)
        assert (again.status, again.id) == ("pending", failed.id)
        await dispatcher.tick()

        (row,) = await deliveries(engine, endpoint.id)
        assert (row.status, row.attempts) == ("delivered", 2)
        first, second = receiver.received
        assert first.msg_id == second.msg_id == str(failed.id)
        assert first.json() == second.json()
        verify(endpoint.secret, second.headers, second.body, now=datetime.now(UTC))

    async def test_during_a_rotation_both_secrets_sign(
        self, receiver, add_endpoint, notify, make_dispatcher, sessionmaker, tenant
    ):
        endpoint = await add_endpoint(receiver.url)
        async with sessionmaker() as session, session.begin():
            rotated = await service.rotate_secret(
                session, tenant_id=tenant, endpoint_id=endpoint.id, box=BOX
            )
        await notify()

        await make_dispatcher().tick()

        (request,) = receiver.received
        now = datetime.now(UTC)
        assert len(request.headers["webhook-signature"].split(" ")) == 2
        verify(endpoint.secret, request.headers, request.body, now=now)
        verify(rotated.secret, request.headers, request.body, now=now)
        assert rotated.secret != endpoint.secret

    async def test_a_secret_the_key_cannot_open_is_never_sent_unsigned(
        self, receiver, add_endpoint, notify, make_dispatcher, engine
    ):
        endpoint = await add_endpoint(receiver.url)
        await notify()
        other_key = SecretBox(SecretStr(Fernet.generate_key().decode()), setting="X")

        await make_dispatcher(box=other_key).tick()

        (row,) = await deliveries(engine, endpoint.id)
        assert receiver.received == []
        assert row.status == "pending"
        assert "signing secret cannot be read" in row.last_error


class TestAddresses:
    async def test_loopback_and_plain_http_are_refused_unless_allowed(
        self, receiver, add_endpoint, notify, make_dispatcher, engine
    ):
        plain = await add_endpoint(receiver.url)
        loopback = await add_endpoint(f"https://127.0.0.1:{receiver.port}/hooks")
        await notify()

        await make_dispatcher(egress=EgressPolicy()).tick()

        (refused_http,) = await deliveries(engine, plain.id)
        (refused_loopback,) = await deliveries(engine, loopback.id)
        assert receiver.received == []
        assert refused_http.status == refused_loopback.status == "failed"
        assert "https" in refused_http.last_error
        assert "loopback" in refused_loopback.last_error


class TestLeases:
    async def test_a_claim_whose_worker_vanished_is_sent_by_another_dispatcher(
        self, receiver, add_endpoint, notify, make_dispatcher, engine, sessionmaker
    ):
        endpoint = await add_endpoint(receiver.url)
        await notify()
        # A worker claims the delivery, then dies before sending it.
        async with sessionmaker() as session, session.begin():
            (lost,) = await CLAIMS.claim_due(
                session, now=datetime.now(UTC), lease=timedelta(seconds=60), limit=10
            )
        other = make_dispatcher()
        assert await other.tick() == 0  # the lease still holds

        async with sessionmaker() as session, session.begin():
            await session.execute(
                update(webhook_delivery)
                .where(webhook_delivery.c.id == lost.id)
                .values(lease_until=datetime.now(UTC) - timedelta(seconds=1))
            )
        await other.tick()

        (row,) = await deliveries(engine, endpoint.id)
        assert (row.status, row.attempts) == ("delivered", 2)
        assert [r.msg_id for r in receiver.received] == [str(lost.id)]
        log = await attempts(engine, row.id)
        assert [(a.attempt, a.outcome, a.error) for a in log] == [
            (1, "retry", LEASE_EXPIRED),
            (2, "delivered", None),
        ]

    async def test_a_late_outcome_of_a_lost_claim_is_logged_but_changes_nothing(
        self, receiver, add_endpoint, notify, make_dispatcher, engine, sessionmaker
    ):
        endpoint = await add_endpoint(receiver.url)
        await notify()
        async with sessionmaker() as session, session.begin():
            (slow,) = await CLAIMS.claim_due(
                session, now=datetime.now(UTC), lease=timedelta(seconds=60), limit=10
            )
            await session.execute(
                update(webhook_delivery)
                .where(webhook_delivery.c.id == slow.id)
                .values(lease_until=datetime.now(UTC) - timedelta(seconds=1))
            )
        await make_dispatcher().tick()  # the lease ran out: another worker delivers it

        # The slow worker's 500 finally comes back.
        async with sessionmaker() as session, session.begin():
            recorded = await CLAIMS.record_attempt(session, slow, failure(slow, 500))

        (row,) = await deliveries(engine, endpoint.id)
        assert recorded.applied is False
        assert (row.status, row.attempts, row.last_status_code) == ("delivered", 2, 200)
        log = await attempts(engine, row.id)
        assert [(a.attempt, a.status_code) for a in log] == [(1, 500), (2, 200)]

    async def test_two_dispatchers_never_send_one_delivery_twice(
        self, receiver, add_endpoint, notify, make_dispatcher, engine
    ):
        endpoint = await add_endpoint(receiver.url)
        for _ in range(20):
            await notify()
        receiver.answer(*(Reply(delay=0.2) for _ in range(20)))
        first, second = make_dispatcher(batch_size=12), make_dispatcher(batch_size=12)

        counts = await asyncio.gather(first.tick(), second.tick(), first.tick(), second.tick())

        rows = await deliveries(engine, endpoint.id)
        ids = [r.msg_id for r in receiver.received]
        assert sum(counts) == 20
        assert sorted(ids) == sorted(str(r.id) for r in rows)
        assert len(set(ids)) == 20
        assert max(receiver.max_in_flight.values()) == 1
        assert {r.status for r in rows} == {"delivered"}

    async def test_concurrent_claims_skip_each_others_locked_rows(
        self, add_endpoint, notify, sessionmaker, receiver
    ):
        await add_endpoint(receiver.url)
        for _ in range(6):
            await notify()
        first_holds_its_claim, second_done = asyncio.Event(), asyncio.Event()

        async def claimer(*, first: bool) -> set[uuid.UUID]:
            async with sessionmaker() as session, session.begin():
                if not first:
                    await first_holds_its_claim.wait()
                try:
                    claimed = await asyncio.wait_for(
                        CLAIMS.claim_due(
                            session, now=datetime.now(UTC), lease=timedelta(seconds=60), limit=4
                        ),
                        10,
                    )
                finally:
                    if first:
                        first_holds_its_claim.set()
                        await asyncio.wait_for(second_done.wait(), 10)
                    else:
                        second_done.set()
            return {c.id for c in claimed}

        a, b = await asyncio.gather(claimer(first=True), claimer(first=False))

        assert (len(a), len(b)) == (4, 2)
        assert a.isdisjoint(b)


class TestBacklog:
    async def test_the_backlog_ages_follow_the_oldest_undelivered_message(
        self, receiver, add_endpoint, notify, make_dispatcher, engine, sessionmaker
    ):
        endpoint = await add_endpoint(receiver.url)
        await notify()
        (row,) = await deliveries(engine, endpoint.id)
        async with sessionmaker() as session, session.begin():
            await session.execute(
                update(webhook_delivery)
                .where(webhook_delivery.c.id == row.id)
                .values(
                    created_at=datetime.now(UTC) - timedelta(minutes=10),
                    next_attempt_at=datetime.now(UTC) - timedelta(minutes=5),
                )
            )
        dispatcher = make_dispatcher()

        oldest, lag = await dispatcher.update_backlog()
        sample = REGISTRY.get_sample_value("beacon_publisher_webhook_oldest_pending_age_seconds")

        assert 600 <= oldest < 660
        assert 300 <= lag < 360
        assert sample == oldest
        await dispatcher.tick()
        assert await dispatcher.update_backlog() == (0.0, 0.0)


def failure(claimed: ClaimedDelivery, status: int) -> Attempt:
    return Attempt(
        msg_id=str(claimed.id),
        url=claimed.url,
        attempted_at=datetime.now(UTC),
        outcome=Outcome.RETRY,
        status_code=status,
        duration_ms=5,
        response_excerpt="",
    )


async def test_the_payload_column_holds_what_was_signed(engine, receiver, add_endpoint, notify):
    endpoint = await add_endpoint(receiver.url)
    await notify("post.failed", {"post_id": "p-9", "errors": [{"network": "x", "code": 187}]})
    async with engine.connect() as conn:
        stored = await conn.scalar(
            select(func.count()).where(
                webhook_delivery.c.endpoint_id == endpoint.id,
                webhook_delivery.c.payload["data"]["errors"][0]["code"].as_integer() == 187,
            )
        )
    assert stored == 1
