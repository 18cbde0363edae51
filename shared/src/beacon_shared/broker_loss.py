"""Whether the broker still holds what it acknowledged to a relay: the same cluster, the same
topics and partitions, and every partition's high watermark past the offsets it acknowledged.

Only the Kafka protocol's own answers are used: the cluster id in metadata (a new cluster, or
a memory-only broker started again, has a new one), the topics in metadata, and the high
watermark a fetch response reports. A record acknowledged with acks=all is below the high
watermark on Apache Kafka, so a high watermark at or below an acknowledged offset means the
partition lost it (a topic deleted and created again, an unclean leader election). The end
offsets of ListOffsets are not used: the embedded broker answers them wrongly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError, OffsetOutOfRangeError
from aiokafka.protocol.metadata import MetadataRequest

LOSS_CLUSTER = "cluster_changed"
LOSS_TOPIC = "topic_missing"
LOSS_OFFSETS = "offsets_went_back"


async def _metadata(client: Any, topics: list[str] | None) -> dict[str, Any]:
    node = client.get_random_node()
    if node is None:
        raise KafkaError("no broker known to ask for metadata")
    response = await client.send(node, MetadataRequest(topics))
    answer: dict[str, Any] = response.to_object()
    return answer


async def cluster_id(client: Any) -> str:
    """The id of the cluster `client` (a started producer's `client`) talks to: one round trip."""
    answer = await _metadata(client, [])
    found = answer.get("cluster_id")
    if not found:
        raise KafkaError("the broker's metadata names no cluster id")
    return str(found)


async def missing_partitions(client: Any, partitions: list[TopicPartition]) -> list[TopicPartition]:
    """Those of `partitions` the cluster does not have (topic gone, or fewer partitions)."""
    answer = await _metadata(client, None)  # every topic; never creates one
    present = {
        (topic["topic"], partition["partition"])
        for topic in answer["topics"]
        if topic["error_code"] == 0
        for partition in topic["partitions"]
    }
    return [tp for tp in partitions if (tp.topic, tp.partition) not in present]


async def offsets_gone(
    bootstrap: str, acknowledged: Mapping[TopicPartition, int], *, timeout: float = 5.0
) -> list[TopicPartition]:
    """The partitions whose high watermark is at or below the offset acknowledged there.

    A fetch from each acknowledged offset reports the partition's high watermark (and returns
    at most the batch holding that record); a fetch past the end is refused as out of range, and
    so is one before the start, when the broker's own retention deleted the record: that one is
    not a loss. Partitions that do not answer within `timeout` are not counted as lost.
    """
    if not acknowledged:
        return []
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        client_id="beacon-outbox-check",
        enable_auto_commit=False,
        auto_offset_reset="none",
        fetch_max_wait_ms=50,
        max_partition_fetch_bytes=1024,
        request_timeout_ms=int(timeout * 1000) + 1000,
    )
    await consumer.start()
    try:
        consumer.assign(list(acknowledged))
        for tp, offset in acknowledged.items():
            consumer.seek(tp, offset)
        highwaters: dict[TopicPartition, int] = {}
        async with asyncio.timeout(timeout):
            while len(highwaters) < len(acknowledged):
                try:
                    await consumer.getmany(timeout_ms=100)
                except OffsetOutOfRangeError as exc:
                    refused = list(exc.args[0] if exc.args else acknowledged)
                    starts = await consumer.beginning_offsets(refused)
                    past_end = sorted(tp for tp in refused if acknowledged[tp] >= starts[tp])
                    if past_end:
                        return past_end
                    for tp in refused:  # aged out of the broker's retention: nothing to read
                        highwaters[tp] = acknowledged[tp] + 1
                        consumer.seek(tp, starts[tp])
                for tp in acknowledged:
                    highwater = consumer.highwater(tp)
                    if highwater is not None:
                        highwaters[tp] = highwater
    except TimeoutError:
        pass
    finally:
        await consumer.stop()
    return sorted(tp for tp, hw in highwaters.items() if hw <= acknowledged[tp])
