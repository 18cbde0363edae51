"""Topics are created explicitly, with their dead-letter topics, and creating them twice is fine."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from beacon_shared.topics import TopicSpec, dlq_name, ensure_topics

pytestmark = pytest.mark.kafka


@pytest.fixture
async def metadata_client(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaAdminClient]:
    client = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await client.start()
    yield client
    await client.close()


async def partitions(client: AIOKafkaAdminClient, topic: str) -> int:
    (described,) = await client.describe_topics([topic])
    assert described["error_code"] == 0, described
    return len(described["partitions"])


async def test_a_topic_is_created_with_its_partition_count_and_a_dlq(
    kafka_bootstrap: str, metadata_client: AIOKafkaAdminClient, unique: Callable[[str], str]
):
    name = unique("orders")

    await ensure_topics(kafka_bootstrap, [TopicSpec(name, 3, "Orders.")])

    assert await partitions(metadata_client, name) == 3
    assert await partitions(metadata_client, dlq_name(name)) == 1
    assert dlq_name(name) == f"{name}.dlq"


async def test_creating_topics_again_is_harmless(
    kafka_bootstrap: str, metadata_client: AIOKafkaAdminClient, unique: Callable[[str], str]
):
    spec = TopicSpec(unique("orders"), 2, "Orders.")
    await ensure_topics(kafka_bootstrap, [spec])

    await ensure_topics(kafka_bootstrap, [spec])

    assert await partitions(metadata_client, spec.name) == 2


async def test_missing_topics_are_added_next_to_existing_ones(
    kafka_bootstrap: str, metadata_client: AIOKafkaAdminClient, unique: Callable[[str], str]
):
    old, new = TopicSpec(unique("old"), 2, "Old."), TopicSpec(unique("new"), 4, "New.")
    await ensure_topics(kafka_bootstrap, [old])

    await ensure_topics(kafka_bootstrap, [old, new])

    assert await partitions(metadata_client, old.name) == 2
    assert await partitions(metadata_client, new.name) == 4
    assert await partitions(metadata_client, dlq_name(new.name)) == 1
