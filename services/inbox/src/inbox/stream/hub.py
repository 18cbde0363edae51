"""One API process's open streams, fed from the log.

The hub LISTENs on the log's channel with one connection; a commit that logged an
organization's events wakes that organization's pump, which reads what follows the last event
it read (the organization's events commit in id order) and offers each event to every open
stream of the organization allowed its brand. Each stream has a bounded buffer: a client too
slow to keep up is cut off and resumes from the log with `Last-Event-ID`, so the pump never
waits for anyone. A slow poll stands in for notifications lost while the listener reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncEngine

from beacon_shared.logging import get_logger
from beacon_shared.waiting import Backoff, wait_or_stop
from inbox.stream import repository, service

log = get_logger(__name__)
PAGE = 500
# Notifications wake the pumps at once; this wakes them anyway, in case some were missed.
POLL_SECONDS = 5.0


@dataclass(eq=False)
class Subscription:
    """One open stream: the events for it (None: it is closed), and whether it fell behind."""

    tenant_id: str
    brand_ids: frozenset[str] | None
    buffer: asyncio.Queue[Row[Any] | None]
    cut_off: asyncio.Event = field(default_factory=asyncio.Event)
    fell_behind: bool = False

    def wants(self, brand_id: str | None) -> bool:
        """Whether the caller may read events of this brand (None: the organization's own)."""
        return self.brand_ids is None or (brand_id is not None and brand_id in self.brand_ids)

    def offer(self, row: Row[Any]) -> None:
        """Buffer one event; a full buffer cuts the stream off."""
        if self.cut_off.is_set():
            return
        try:
            self.buffer.put_nowait(row)
        except asyncio.QueueFull:
            self.fell_behind = True
            self.cut_off.set()

    def close(self) -> None:
        """End the stream: its client left, or the process is stopping."""
        self.cut_off.set()
        # A full buffer needs no wake-up: its reader is not waiting.
        with contextlib.suppress(asyncio.QueueFull):
            self.buffer.put_nowait(None)


@dataclass(eq=False)
class _Pump:
    """Reads one organization's new events and hands them to its streams."""

    after_id: int
    subscriptions: set[Subscription] = field(default_factory=set)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


class StreamHub:
    """The open streams of one API process."""

    def __init__(self, engine: AsyncEngine, *, buffer: int) -> None:
        self.engine = engine
        self.buffer = buffer
        self._pumps: dict[str, _Pump] = {}
        self._listener: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()
        self._closed = asyncio.Event()
        self._lock = asyncio.Lock()

    async def subscribe(self, tenant_id: str, brand_ids: frozenset[str] | None) -> Subscription:
        """A new stream of the organization's events on these brands, from now on."""
        subscription = Subscription(tenant_id, brand_ids, asyncio.Queue(self.buffer))
        async with self._lock:
            if self._listener is None:
                self._listener = asyncio.create_task(self._listen(), name="inbox.stream.listen")
            pump = self._pumps.get(tenant_id)
            if pump is None:
                # Listening before reading where to start: nothing committed in between is missed.
                await asyncio.wait_for(self._listening.wait(), 10)
                async with self.engine.connect() as conn:
                    after = await repository.latest_id(conn, tenant_id=tenant_id)
                pump = self._pumps[tenant_id] = _Pump(after)
                pump.task = asyncio.create_task(
                    self._pump(tenant_id, pump), name=f"inbox.stream.pump:{tenant_id}"
                )
            pump.subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Close a stream; the organization's pump stops with its last stream."""
        pump = self._pumps.get(subscription.tenant_id)
        if pump is None:
            return
        pump.subscriptions.discard(subscription)
        if not pump.subscriptions:
            del self._pumps[subscription.tenant_id]
            if pump.task is not None:
                pump.task.cancel()

    async def aclose(self) -> None:
        """Stop listening and every pump."""
        self._closed.set()
        for pump in self._pumps.values():
            for subscription in pump.subscriptions:
                subscription.close()
        tasks = [p.task for p in self._pumps.values() if p.task is not None]
        if self._listener is not None:
            tasks.append(self._listener)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._pumps.clear()

    def _notified(self, *args: Any) -> None:
        # asyncpg calls back with (connection, pid, channel, payload).
        pump = self._pumps.get(str(args[-1]))
        if pump is not None:
            pump.wake.set()

    async def _listen(self) -> None:
        backoff = Backoff(0.5, cap=10.0)
        while not self._closed.is_set():
            try:
                async with self.engine.connect() as conn:
                    raw = await conn.get_raw_connection()
                    driver: Any = raw.driver_connection
                    await driver.add_listener(repository.CHANNEL, self._notified)
                    self._listening.set()
                    # Whatever committed while nobody listened is read now.
                    for pump in self._pumps.values():
                        pump.wake.set()
                    backoff.succeeded()
                    while not driver.is_closed():
                        await wait_or_stop(self._closed, 1.0)
                        if self._closed.is_set():
                            return
            except Exception as exc:
                log.warning("stream.listen_failed", error=repr(exc))
            finally:
                self._listening.clear()
            await wait_or_stop(self._closed, backoff.failed())

    async def _pump(self, tenant_id: str, pump: _Pump) -> None:
        backoff = Backoff(0.5, cap=10.0)
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(pump.wake.wait(), POLL_SECONDS)
            pump.wake.clear()
            try:
                while True:
                    async with self.engine.connect() as conn:
                        rows = await service.read(
                            conn,
                            tenant_id=tenant_id,
                            after_id=pump.after_id,
                            brand_ids=None,
                            limit=PAGE,
                        )
                    for row in rows:
                        for subscription in list(pump.subscriptions):
                            if subscription.wants(row.brand_id):
                                subscription.offer(row)
                        pump.after_id = row.id
                    if len(rows) < PAGE:
                        break
                backoff.succeeded()
            except Exception as exc:
                log.warning("stream.read_failed", tenant_id=tenant_id, error=repr(exc))
                await asyncio.sleep(backoff.failed())
                pump.wake.set()
