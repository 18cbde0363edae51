"""Liveness, readiness (database and broker) and Prometheus metrics for APIs and workers."""

from __future__ import annotations

import asyncio
import time

from aiokafka.client import AIOKafkaClient
from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from beacon_shared.logging import get_logger

log = get_logger(__name__)


class BrokerProbe:
    """Asks the broker for metadata, at most once per `cache_seconds`."""

    def __init__(self, bootstrap: str, *, cache_seconds: float = 2.0) -> None:
        self.bootstrap = bootstrap
        self.cache_seconds = cache_seconds
        self._client: AIOKafkaClient | None = None
        self._checked_at = 0.0
        self._ok = False

    async def check(self) -> bool:
        """Whether the broker answered a metadata request."""
        if time.monotonic() - self._checked_at < self.cache_seconds:
            return self._ok
        try:
            if self._client is None:
                client = AIOKafkaClient(bootstrap_servers=self.bootstrap, request_timeout_ms=2000)
                await asyncio.wait_for(client.bootstrap(), 3)
                self._client = client
            await asyncio.wait_for(self._client.fetch_all_metadata(), 3)
            self._ok = True
        except Exception as exc:
            log.warning("readiness.broker_unreachable", error=repr(exc))
            await self.close()
            self._ok = False
        self._checked_at = time.monotonic()
        return self._ok

    async def close(self) -> None:
        """Close the probe's connection."""
        if self._client is not None:
            client, self._client = self._client, None
            await client.close()


async def database_ok(engine: AsyncEngine) -> bool:
    """Whether `SELECT 1` succeeds within two seconds."""
    try:
        async with asyncio.timeout(2), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True
    except Exception as exc:
        log.warning("readiness.database_unreachable", error=repr(exc))
        return False


class Readiness(BaseModel):
    """Readiness of one process."""

    status: str
    database: bool
    broker: bool


router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: the database (and the broker, where required) answer",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Not ready"}},
)
async def readyz(request: Request, response: Response) -> Readiness:
    state = request.app.state
    db_ok, broker_ok = await asyncio.gather(database_ok(state.engine), state.broker_probe.check())
    ready = db_ok and (broker_ok or not state.settings.ready_requires_broker)
    response.status_code = 200 if ready else 503
    return Readiness(status="ready" if ready else "not_ready", database=db_ok, broker=broker_ok)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
