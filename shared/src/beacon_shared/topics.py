"""Topic specifications and their idempotent creation at start-up."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from beacon_shared.logging import get_logger

log = get_logger(__name__)
TOPIC_ALREADY_EXISTS = 36


@dataclass(frozen=True)
class TopicSpec:
    """A topic, its partition count (the ceiling for consumer replicas) and what it carries."""

    name: str
    partitions: int
    description: str
    key: str = "the aggregate id"

    @property
    def dlq(self) -> TopicSpec:
        """The dead-letter topic of this topic: original key, value and headers plus `dlq.*`."""
        return TopicSpec(
            dlq_name(self.name), 1, f"Dead letters of `{self.name}`.", key="the original key"
        )


def dlq_name(topic: str) -> str:
    """The dead-letter topic name for `topic`."""
    return f"{topic}.dlq"


async def ensure_topics(
    bootstrap: str, specs: Iterable[TopicSpec], *, replication_factor: int = 1
) -> None:
    """Create each topic and its DLQ with an explicit partition count; existing ones are kept."""
    wanted = {s.name: s for spec in specs for s in (spec, spec.dlq)}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="beacon-topics")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [s for name, s in wanted.items() if name not in existing]
        if not missing:
            return
        response = await admin.create_topics(
            [
                NewTopic(s.name, num_partitions=s.partitions, replication_factor=replication_factor)
                for s in missing
            ]
        )
        for name, code, *_ in response.topic_errors:
            # A concurrent start-up may create the topic between list and create.
            if code not in (0, TOPIC_ALREADY_EXISTS):
                raise RuntimeError(f"could not create topic {name}: error code {code}")
        log.info("topics.created", topics=sorted(s.name for s in missing))
    finally:
        await admin.close()
