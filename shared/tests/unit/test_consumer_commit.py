"""A commit the broker keeps answering with a retriable error is given up after
COMMIT_TIMEOUT_SECONDS, so the consumer goes back to fetching (its records are read again later,
and the inbox skips them) instead of waiting on the commit for ever."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.structs import ConsumerRecord
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import async_sessionmaker

from beacon_shared import consumer as consumer_module
from beacon_shared.consumer import Consumer, ConsumerRunner, inbox_table
from beacon_shared.settings import ServiceSettings


class StuckCommits:
    """Stands in for the Kafka client while a replaced broker refuses its commits: each commit
    is retried inside the client and never returns."""

    def __init__(self) -> None:
        self.commits_started = 0

    async def commit(self, offsets: object) -> None:
        self.commits_started += 1
        await asyncio.Event().wait()

    def highwater(self, tp: TopicPartition) -> int | None:
        return None


def record(offset: int) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic="comment.received",
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=b"k",
        value=b"v",
        checksum=None,
        serialized_key_size=1,
        serialized_value_size=1,
        headers=(),
    )


async def test_a_commit_that_never_returns_is_given_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(consumer_module, "COMMIT_TIMEOUT_SECONDS", 0.2)
    settings = ServiceSettings(
        service_name="tests",
        database_url="postgresql+asyncpg://unused/unused",
        kafka_bootstrap="unused:9092",
    )
    runner = ConsumerRunner(
        Consumer(group_id="tests.commits", topics=["comment.received"]),
        settings=settings,
        sessionmaker=async_sessionmaker(),
        inbox=inbox_table(MetaData(schema="tests")),
        producer=AIOKafkaProducer(bootstrap_servers="unused:9092"),
    )
    kafka = StuckCommits()
    batch = {TopicPartition("comment.received", 0): [record(7), record(8)]}

    # Without the bound this would wait for ever: the outer timeout turns that into a failure.
    await asyncio.wait_for(runner._commit(kafka, batch), timeout=10)  # type: ignore[arg-type]

    assert kafka.commits_started == 1
