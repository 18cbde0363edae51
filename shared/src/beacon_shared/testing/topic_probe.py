"""Reading what a worker wrote to a topic, for the tests of the workers on the real broker."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from beacon_shared.topics import TopicSpec


async def probe(bootstrap: str, spec: TopicSpec) -> AIOKafkaConsumer:
    """A group-less reader of every partition from the start: no rebalance to wait for."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    consumer.assign([TopicPartition(spec.name, p) for p in range(spec.partitions)])
    await consumer.seek_to_beginning()
    return consumer


async def drain(consumer: AIOKafkaConsumer) -> list[ConsumerRecord[bytes, bytes]]:
    """What the reader holds now (one short fetch)."""
    batches = await consumer.getmany(timeout_ms=200)
    return [record for records in batches.values() for record in records]
