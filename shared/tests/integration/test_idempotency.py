"""Idempotency-Key handling on the real database: replays, reuse, races and expiry."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from pydantic import BaseModel
from sqlalchemy import Table, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from beacon_shared import idempotency
from beacon_shared.db import create_sessionmaker
from beacon_shared.idempotency import Answer, IdempotencyKeyReused, KeyTable

pytestmark = pytest.mark.integration


class Made(BaseModel):
    """What a test request answers: the id of the row it made."""

    id: uuid.UUID


class Requests:
    """Requests of one tenant whose work is one row in the effect table, by `consumer`."""

    def __init__(self, engine: AsyncEngine, keys: KeyTable, effect: Table, tenant: str) -> None:
        self.sessionmaker = create_sessionmaker(engine)
        self.keys, self.effect, self.tenant = keys, effect, tenant
        self.produced = 0

    async def send(
        self,
        key: str | None,
        body: dict[str, str],
        *,
        before_storing: Callable[[], Awaitable[object]] | None = None,
    ) -> Answer[Made]:
        async def produce(session: AsyncSession) -> Made:
            self.produced += 1
            made = uuid.uuid4()
            await session.execute(
                insert(self.effect).values(event_id=made, consumer=self.tenant, txid=0)
            )
            if before_storing is not None:
                await before_storing()
            return Made(id=made)

        return await idempotency.answer_once(
            self.keys,
            idempotency.transactions(self.sessionmaker),
            tenant_id=self.tenant,
            key=key,
            request=idempotency.fingerprint(body),
            model=Made,
            produce=produce,
        )

    async def made(self) -> list[uuid.UUID]:
        async with self.sessionmaker() as session:
            rows = await session.execute(
                select(self.effect.c.event_id).where(self.effect.c.consumer == self.tenant)
            )
            return list(rows.scalars())


@pytest.fixture
def requests(engine, key_table, effect, unique) -> Requests:
    return Requests(engine, KeyTable(key_table, keep=timedelta(hours=24)), effect, unique("t"))


class TestAnswerOnce:
    async def test_the_same_key_and_body_get_the_stored_answer_without_new_work(self, requests):
        first = await requests.send("k", {"text": "hello"})
        again = await requests.send("k", {"text": "hello"})

        assert (first.replayed, again.replayed) == (False, True)
        assert again.value == first.value
        assert await requests.made() == [first.value.id]

    async def test_the_same_key_with_another_body_is_refused_and_does_no_work(self, requests):
        await requests.send("k", {"text": "hello"})

        with pytest.raises(IdempotencyKeyReused) as refused:
            await requests.send("k", {"text": "goodbye"})

        assert refused.value.status == 422
        assert refused.value.code == "idempotency_key_reused"
        assert requests.produced == 1

    async def test_without_a_key_every_request_does_its_work(self, requests):
        first = await requests.send(None, {"text": "hello"})
        second = await requests.send(None, {"text": "hello"})

        assert (first.replayed, second.replayed) == (False, False)
        assert len(await requests.made()) == 2

    async def test_keys_of_one_tenant_do_not_answer_another(self, engine, key_table, effect):
        keys = KeyTable(key_table)
        one = Requests(engine, keys, effect, f"t-{uuid.uuid4()}")
        other = Requests(engine, keys, effect, f"t-{uuid.uuid4()}")

        await one.send("k", {"text": "hello"})
        answer = await other.send("k", {"text": "goodbye"})

        assert answer.replayed is False

    async def test_two_racing_requests_with_one_key_leave_one_piece_of_work(self, requests):
        both_working = asyncio.Barrier(2)

        first, second = await asyncio.gather(
            requests.send("k", {"text": "hello"}, before_storing=both_working.wait),
            requests.send("k", {"text": "hello"}, before_storing=both_working.wait),
        )

        assert requests.produced == 2
        assert sorted([first.replayed, second.replayed]) == [False, True]
        assert first.value == second.value
        # The loser's work was undone with its transaction.
        assert await requests.made() == [first.value.id]

    async def test_work_that_fails_stores_no_key(self, requests):
        async def failing(session: AsyncSession) -> Made:
            raise RuntimeError("the work failed")

        with pytest.raises(RuntimeError):
            await idempotency.answer_once(
                requests.keys,
                idempotency.transactions(requests.sessionmaker),
                tenant_id=requests.tenant,
                key="k",
                request=idempotency.fingerprint({"text": "hello"}),
                model=Made,
                produce=failing,
            )
        retried = await requests.send("k", {"text": "hello"})

        assert retried.replayed is False


class TestKeptKeys:
    async def expire(self, engine: AsyncEngine, requests: Requests, key: str) -> None:
        t = requests.keys.table
        async with engine.begin() as conn:
            await conn.execute(
                update(t)
                .where(t.c.tenant_id == requests.tenant, t.c.key == key)
                .values(created_at=func.now() - text("interval '25 hours'"))
            )

    async def test_a_key_past_its_time_is_taken_over(self, engine, requests):
        await requests.send("k", {"text": "hello"})
        await self.expire(engine, requests, "k")

        again = await requests.send("k", {"text": "goodbye"})
        replay = await requests.send("k", {"text": "goodbye"})

        assert again.replayed is False
        assert replay.replayed is True
        assert replay.value == again.value

    async def test_prune_forgets_only_the_keys_past_their_time(self, engine, requests):
        await requests.send("old", {"text": "hello"})
        await requests.send("new", {"text": "hello"})
        await self.expire(engine, requests, "old")

        assert await idempotency.prune(requests.sessionmaker, requests.keys) >= 1

        t = requests.keys.table
        async with engine.connect() as conn:
            left = await conn.execute(select(t.c.key).where(t.c.tenant_id == requests.tenant))
            assert list(left.scalars()) == ["new"]

    async def test_keys_kept_for_ever_are_never_pruned(self, requests):
        kept = KeyTable(requests.keys.table)

        assert await idempotency.prune(requests.sessionmaker, kept) == 0


class TestFingerprint:
    def test_key_order_and_spacing_do_not_count(self):
        assert idempotency.fingerprint({"a": 1, "b": [1, 2]}) == idempotency.fingerprint(
            {"b": [1, 2], "a": 1}
        )

    def test_another_value_is_another_request(self):
        assert idempotency.fingerprint({"a": 1}) != idempotency.fingerprint({"a": 2})
