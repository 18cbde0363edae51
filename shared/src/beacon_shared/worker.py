"""The worker process: consumers, the outbox relay and periodic jobs, with health and metrics.

On SIGTERM (or SIGINT) it stops in order, so nothing is left half done for the next replica:
consumers finish the batch in hand, commit its offsets and leave their groups, and the other
jobs finish what they are doing; then the relay publishes what they staged; then the health
server stops. `python -m <service>.worker topics` only creates the service's topics and exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from beacon_shared.consumer import Consumer, ConsumerRunner
from beacon_shared.db import create_engine, create_sessionmaker
from beacon_shared.health import BrokerProbe
from beacon_shared.health import router as health_router
from beacon_shared.kafka import create_producer
from beacon_shared.logging import configure_logging, get_logger
from beacon_shared.outbox_relay import OutboxRelay
from beacon_shared.settings import ServiceSettings
from beacon_shared.topics import TopicSpec, ensure_topics
from beacon_shared.tracing import configure_tracing, shutdown_tracing
from beacon_shared.waiting import Backoff, wait_or_stop

log = get_logger(__name__)
# A consumed batch allocates tens of thousands of short-lived objects (envelopes, payloads,
# rows). At the default gen-0 threshold (700) the collector runs hundreds of times a batch and
# rescans every survivor; they die by reference count anyway, so it runs far less often here.
GC_THRESHOLDS = (50_000, 20, 100)
Job = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


def every(
    seconds: float,
    action: Callable[[], Awaitable[object]],
    *,
    name: str,
    abandon_on_stop: bool = False,
) -> Job:
    """A job running `action` now and then every `seconds` until stopped; a failure is logged
    and retried at the next tick, never the end of the worker.

    With `abandon_on_stop`, a stop cancels the action in progress (its open transactions roll
    back) instead of waiting for it: for long cycles whose every step is safe to redo.
    """

    async def run(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                if abandon_on_stop:
                    if not await _unless_stopped(action(), stop):
                        return
                else:
                    await action()
            except Exception as exc:
                log.warning("job.failed", job=name, error=repr(exc))
            await wait_or_stop(stop, seconds)

    run.__qualname__ = name
    return run


async def _unless_stopped(action: Awaitable[object], stop: asyncio.Event) -> bool:
    """Run `action` unless `stop` comes first, cancelling it then; False when stopped."""
    task = asyncio.ensure_future(action)
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return False
    task.result()  # raises what the action raised
    return True


@dataclass
class WorkerContext:
    """What a service's jobs may use."""

    settings: ServiceSettings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    producer: AIOKafkaProducer


@dataclass
class WorkerSpec:
    """What a service's worker runs."""

    topics: Sequence[TopicSpec]
    outbox: Table | None = None
    inbox: Table | None = None
    consumers: Sequence[Consumer] = ()
    jobs: Callable[[WorkerContext], Sequence[Job]] = field(default=lambda _ctx: ())


async def run_worker(
    settings: ServiceSettings, spec: WorkerSpec, stop: asyncio.Event, *, serve_http: bool = True
) -> None:
    """Run every component until `stop`; a component that crashes stops the whole worker."""
    engine = create_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        app_name=f"{settings.service_name}-worker",
    )
    probe = BrokerProbe(settings.kafka_bootstrap)
    producer: AIOKafkaProducer | None = None
    try:
        producer = await _until_broker(stop, settings, spec.topics)
        if producer is None:
            return
        ctx = WorkerContext(settings, engine, create_sessionmaker(engine), producer)
        jobs: list[Job] = list(spec.jobs(ctx))
        relays: list[Job] = []
        if spec.outbox is not None:
            relay = OutboxRelay(
                engine=engine,
                table=spec.outbox,
                producer=producer,
                batch_size=settings.outbox_batch_size,
                poll_seconds=settings.outbox_poll_seconds,
                retention_seconds=settings.outbox_retention_seconds,
                loss_detection=settings.outbox_loss_detection,
                check_seconds=settings.outbox_check_seconds,
                bootstrap=settings.kafka_bootstrap,
                topics=spec.topics,
                replication_factor=settings.kafka_replication_factor,
            )
            relays.append(relay.run)
        for consumer in spec.consumers:
            if spec.inbox is None:
                raise ValueError("a worker with consumers needs an inbox table")
            runner = ConsumerRunner(
                consumer,
                settings=settings,
                sessionmaker=ctx.sessionmaker,
                inbox=spec.inbox,
                producer=producer,
            )
            jobs.append(runner.run)
        servers = [_health_server(settings, engine, probe)] if serve_http else []
        await _run_all([jobs, relays, servers], stop)
    finally:
        if producer is not None:
            await producer.stop()
        await probe.close()
        await engine.dispose()
        log.info("worker.stopped", service=settings.service_name)


async def _until_broker(
    stop: asyncio.Event, settings: ServiceSettings, topics: Sequence[TopicSpec]
) -> AIOKafkaProducer | None:
    """Create the topics and start a producer, waiting for the broker; None if stopped first."""
    backoff = Backoff(0.5, cap=10.0)
    while not stop.is_set():
        producer = create_producer(settings)
        try:
            await ensure_topics(
                settings.kafka_bootstrap,
                topics,
                replication_factor=settings.kafka_replication_factor,
            )
            await producer.start()
            return producer
        except Exception as exc:
            await producer.stop()
            delay = backoff.failed()
            log.warning("worker.broker_unavailable", error=repr(exc), retry_in=delay)
            await wait_or_stop(stop, delay)
    return None


async def _run_all(phases: Sequence[Sequence[Job]], stop: asyncio.Event) -> None:
    """Run every job until `stop`, then stop them a phase at a time, in order.

    Each phase has its own stop event, set once the phases before it have ended: the relay
    (second phase) still runs while the consumers (first) finish, so what they stage is sent.
    """
    phase_stops = [asyncio.Event() for _ in phases]
    running = [
        [
            asyncio.create_task(job(phase_stop), name=getattr(job, "__qualname__", "job"))
            for job in jobs
        ]
        for jobs, phase_stop in zip(phases, phase_stops, strict=True)
    ]
    every_task = [task for tasks in running for task in tasks]
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait([*every_task, stopper], return_when=asyncio.FIRST_COMPLETED)
    stop.set()  # one job ending on its own ends them all, so the orchestrator restarts us
    log.info("worker.stopping")
    for tasks, phase_stop in zip(running, phase_stops, strict=True):
        phase_stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    await stopper
    crashed = [t for t in every_task if not t.cancelled() and t.exception() is not None]
    for task in crashed:
        log.error("worker.job_crashed", job=task.get_name(), error=repr(task.exception()))
    if crashed:
        raise RuntimeError(f"{len(crashed)} worker job(s) crashed") from crashed[0].exception()


def _health_server(settings: ServiceSettings, engine: AsyncEngine, probe: BrokerProbe) -> Job:
    app = FastAPI(title=f"{settings.service_name} worker", docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.engine = engine
    app.state.broker_probe = probe
    app.include_router(health_router)
    server = _QuietServer(
        uvicorn.Config(
            app,
            host=settings.bind_host,
            port=settings.worker_port,
            log_config=None,
            access_log=False,
            lifespan="off",
        )
    )

    async def serve(stop: asyncio.Event) -> None:
        task = asyncio.create_task(server.serve())
        await stop.wait()
        server.should_exit = True
        await task

    return serve


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to the worker."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def worker_main(settings: ServiceSettings, spec: WorkerSpec) -> None:
    """Entry point of `python -m <service>.worker`: SIGINT/SIGTERM drain and stop cleanly.

    With the argument `topics` it creates the service's topics (and their dead-letter topics)
    with their partition counts and exits: the one-shot step deployments run before the workers.
    """
    configure_logging(fmt=settings.log_format, level=settings.log_level)
    command = sys.argv[1:]
    if command == ["topics"]:
        asyncio.run(create_topics(settings, spec))
        return
    if command:
        sys.exit(f"usage: python -m {settings.service_name}.worker [topics]")

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_worker(settings, spec, stop)

    configure_tracing(f"{settings.service_name}-worker")
    _tune_gc()
    try:
        asyncio.run(main())
    finally:
        shutdown_tracing()


def _tune_gc() -> None:
    """Keep what startup built (modules, compiled statements) out of every collection, and
    collect batches' garbage at GC_THRESHOLDS."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


async def create_topics(settings: ServiceSettings, spec: WorkerSpec) -> None:
    """Create the worker's topics and dead-letter topics; existing ones are left as they are."""
    await ensure_topics(
        settings.kafka_bootstrap, spec.topics, replication_factor=settings.kafka_replication_factor
    )
    log.info("topics.ready", service=settings.service_name, topics=[t.name for t in spec.topics])
