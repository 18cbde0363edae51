"""The one way services build Kafka producers."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer

from beacon_shared.settings import ServiceSettings


def create_producer(settings: ServiceSettings, *, client_id: str | None = None) -> AIOKafkaProducer:
    """acks=all, idempotent where the broker supports it, batches large enough for bursts."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap,
        client_id=client_id or settings.service_name,
        acks="all",
        enable_idempotence=settings.kafka_enable_idempotence,
        linger_ms=settings.kafka_linger_ms,
        max_batch_size=256 * 1024,
        request_timeout_ms=30_000,
    )
