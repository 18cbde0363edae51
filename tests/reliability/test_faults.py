"""The fault suite: each case injects one fault into the running platform under load and counts
what was acknowledged, delivered, lost and duplicated. Targets: 0 lost, 0 duplicated.

Counts come from the databases and the fake networks: comments stored by ingest, decisions made
by moderation, comments hidden on the (fake) Graph API, analytics' rollups, and statuses on the
(fake) Mastodon. Recovery is the time from the repair (the process or server back) until a
count had caught up with what was acknowledged before the repair; timings are reported, never
asserted.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from faults import (
    HOST,
    REQUEST_TIMEOUT,
    ROOT,
    RUN,
    SERVICES,
    CaseReport,
    LoadResult,
    Measure,
    MetaLoad,
    Stack,
    Tenant,
    count_measure,
    decisions,
    hidden_decisions,
    hide_actions,
    hides_measure,
    interactions,
    kill_mid_transaction,
    measure,
    meta_delivery,
    network_hides,
    rollup_total,
    running_stack,
    soon,
    statuses_by_text,
    until,
)

from beacon_shared.contracts import EVENT_TYPES
from beacon_shared.events import Envelope, encode, record_headers
from beacon_shared.topics import dlq_name

pytestmark = [pytest.mark.reliability]

RATE = 40.0  # webhook deliveries a second
BEFORE_FAULT = 3.0
AFTER_REPAIR = 4.0
CONVERGE_TIMEOUT = float(os.environ.get("RELIABILITY_CONVERGE_TIMEOUT", "120"))
SETTLE = 2.0  # after convergence, for a trailing duplicate to land


@pytest.fixture(scope="module")
async def stack() -> AsyncIterator[Stack]:
    started = time.monotonic()
    async with running_stack() as running:
        RUN.stack_seconds = time.monotonic() - started
        yield running


@dataclass
class Sample:
    at: float
    stored: int
    decided: int
    hidden: int
    rolled_up: int


@dataclass
class Watch:
    """The tenant's counts, sampled while a case runs, to tell when each caught up."""

    stack: Stack
    tenant: Tenant
    samples: list[Sample] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None

    async def _sample(self) -> Sample:
        engine = self.stack.db()
        hides = await network_hides(self.stack.graph_url)
        prefix = f"{self.tenant.page}_c"
        return Sample(
            at=time.monotonic(),
            stored=len(await interactions(engine, self.tenant.id)),
            decided=len(await decisions(engine, self.tenant.id)),
            hidden=sum(1 for k in hides if k.startswith(prefix)),
            rolled_up=await rollup_total(engine, self.tenant.id, "comments"),
        )

    async def _run(self) -> None:
        while not self._stop.is_set():
            # The database may be the fault: sample again.
            with contextlib.suppress(Exception):
                self.samples.append(await asyncio.wait_for(self._sample(), 5.0))
            await asyncio.sleep(0.5)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task

    def caught_up(self, count: Callable[[Sample], int], target: int, repaired: float) -> float:
        """Seconds from the repair until `count` reached `target`; NaN if it never did."""
        for s in self.samples:
            if s.at >= repaired and count(s) >= target:
                return round(max(0.0, s.at - repaired), 1)
        return float("nan")


async def run_case(
    stack: Stack,
    case: str,
    fault: Callable[[], Awaitable[float]],
    *,
    urls: Sequence[str] | None = None,
    loads: list[MetaLoad] | None = None,
) -> tuple[CaseReport, LoadResult]:
    """Load, then the fault (`fault` returns the moment it was repaired), more load, then wait
    until every count converges (bounded) and count."""
    tenant = await stack.new_tenant("faults")
    load = MetaLoad(urls or [stack.api("ingest")], tenant, RATE)
    if loads is not None:
        loads.append(load)
    watch = Watch(stack, tenant)
    watch.start()
    load.start()
    try:
        await asyncio.sleep(BEFORE_FAULT)
        repaired = await fault()
        await asyncio.sleep(AFTER_REPAIR)
    finally:
        result = await load.stop()
    engine = stack.db()
    acked = result.acked

    async def converged() -> bool:
        decided = await decisions(engine, tenant.id)
        hides = await network_hides(stack.graph_url)
        return (
            all(decided.get(i) for i in acked)
            and all(hides.get(i) for i in await hidden_decisions(engine, tenant.id))
            and await rollup_total(engine, tenant.id, "comments") >= len(acked)
        )

    waited = await until(converged, timeout=CONVERGE_TIMEOUT)
    await asyncio.sleep(SETTLE)
    await watch.stop()
    hides = await network_hides(stack.graph_url)
    # The fake network serves every case: only this tenant's Page's comments count here.
    hides = Counter({k: n for k, n in hides.items() if k.startswith(f"{tenant.page}_c")})
    by_repair = result.acked_by(repaired)
    spam_by_repair = sum(
        1
        for i, at in zip(acked, result.acked_at, strict=True)
        if at <= repaired and i in result.spam
    )
    hides_counted, repeated = hides_measure(
        await hidden_decisions(engine, tenant.id), hides, await hide_actions(engine, tenant.id)
    )
    stored = await interactions(engine, tenant.id)
    report = CaseReport(case)
    counted: list[tuple[Measure, Callable[[Sample], int], int]] = [
        (
            measure("comments stored", acked, stored),
            lambda s: s.stored,
            by_repair,
        ),
        (
            measure("decisions", acked, await decisions(engine, tenant.id)),
            lambda s: s.decided,
            by_repair,
        ),
        (hides_counted, lambda s: s.hidden, spam_by_repair),
        (
            count_measure(
                "rollup comments",
                len(acked),
                await rollup_total(engine, tenant.id, "comments"),
                stored=len(stored),
            ),
            lambda s: s.rolled_up,
            by_repair,
        ),
    ]
    for m, count, target in counted:
        m.recovery_seconds = watch.caught_up(count, target, repaired)
        report.measures.append(m)
    answers = ", ".join(f"{k}: {v}" for k, v in sorted(result.statuses.items()))
    converged_in = (
        f"converged {waited:.1f} s after the load ended"
        if waited is not None
        else f"not converged {CONVERGE_TIMEOUT:.0f} s after the load ended"
    )
    report.notes.append(f"answers {answers}; {converged_in}")
    if unanswered := len(stored.keys() - set(acked)):
        report.notes.append(
            f"{unanswered} comment(s) stored though their request was cut off before its answer: "
            "handled once, like the rest"
        )
    if repeated:
        report.notes.append(
            f"{repeated} hide call(s) sent again, each counted by ingest: an idempotent hide is "
            "resent when its outcome could not be recorded"
        )
    RUN.reports.append(report)
    return report, result


def assert_exactly_once(report: CaseReport) -> None:
    for m in report.measures:
        assert m.acknowledged > 0, f"{report.case}: nothing acknowledged for {m.name}"
        assert m.lost == 0, f"{report.case}: {m}"
        assert m.duplicated == 0, f"{report.case}: {m}"


def consumed() -> dict[str, dict[str, set[str]]]:
    """Per topic, every consumer group reading it and the event types it handles there: from
    the workers' specs and the contracts."""
    groups: dict[str, dict[str, set[str]]] = {}
    # A service the suite does not start must consume nothing, or its groups go untested.
    for ini in sorted(ROOT.glob("services/*/alembic.ini")):
        other = ini.parent.name
        if other not in SERVICES:
            spec = importlib.import_module(f"{other}.worker").spec()
            assert not spec.consumers, f"{other} consumes events: add it to faults.SERVICES"
    for service in SERVICES:
        for consumer in importlib.import_module(f"{service}.worker").spec().consumers:
            handled = {*consumer.handlers, *consumer.batch_handlers}
            for topic in consumer.topics:
                groups.setdefault(topic, {})[consumer.group_id] = {
                    t for t in handled if t in EVENT_TYPES and EVENT_TYPES[t].topic == topic
                }
    return groups


async def partitions_of(bootstrap: str, topics: Sequence[str]) -> dict[str, list[int]]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        return {t: sorted(await producer.partitions_for(t)) for t in topics}
    finally:
        await producer.stop()


async def dead_letters(
    bootstrap: str, topics: Sequence[str], marker: str, expected: int
) -> Counter[tuple[str, str, int, str]]:
    """(what, topic, partition, group) of every dead letter carrying `marker` (`what` is the
    event type of a well-formed one, "" otherwise), read from the start of each topic's DLQ
    until `expected` have come (bounded), then a second more for any extra."""
    consumer = AIOKafkaConsumer(
        *[dlq_name(t) for t in topics],
        bootstrap_servers=bootstrap,
        group_id=f"reliability-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_wait_ms=100,
    )
    found: Counter[tuple[str, str, int, str]] = Counter()
    await consumer.start()
    try:
        deadline = time.monotonic() + CONVERGE_TIMEOUT
        extra_until: float | None = None
        while time.monotonic() < (deadline if extra_until is None else extra_until):
            for records in (await consumer.getmany(timeout_ms=300)).values():
                for record in records:
                    if marker.encode() not in record.value:
                        continue
                    headers = {k: v.decode() for k, v in record.headers}
                    what = headers.get("ce_type", "")
                    found[
                        what,
                        headers["dlq.topic"],
                        int(headers["dlq.partition"]),
                        headers["dlq.consumer"],
                    ] += 1
            if extra_until is None and sum(found.values()) >= expected:
                extra_until = time.monotonic() + 1.0
    finally:
        await consumer.stop()
    return found


async def test_a_poison_record_in_every_consumed_topic_goes_to_its_dlq_and_partitions_move(
    stack: Stack,
) -> None:
    groups = await asyncio.to_thread(consumed)
    partitions = await partitions_of(stack.broker.bootstrap, list(groups))
    marker = f"poison-{uuid.uuid4().hex}"
    # Not an envelope, in every partition: every group reading the topic dead-letters it at
    # once. An envelope of a type a group handles, with a payload its contract refuses: the
    # group retries it, then dead-letters it.
    expected = {("", t, p, g) for t, ps in partitions.items() for p in ps for g in groups[t]}
    typed = {
        (t, kind) for t, by_group in groups.items() for kinds in by_group.values() for kind in kinds
    }
    expected |= {
        (kind, t, 0, g) for t, kind in typed for g, kinds in groups[t].items() if kind in kinds
    }

    async def poison() -> float:
        producer = AIOKafkaProducer(bootstrap_servers=stack.broker.bootstrap, linger_ms=0)
        await producer.start()
        try:
            for topic, ps in partitions.items():
                for p in ps:
                    value = b'{"not an envelope": "' + marker.encode() + b'"'
                    await producer.send_and_wait(topic, value, key=b"poison", partition=p)
            for topic, kind in sorted(typed):
                envelope = Envelope(
                    type=kind,
                    source="/tests/reliability",
                    subject="poison",
                    time=datetime.now(UTC),
                    tenantid="poison",
                    data={"poison": marker},
                )
                await producer.send_and_wait(
                    topic,
                    encode(envelope),
                    key=b"poison",
                    partition=0,
                    headers=record_headers(envelope),
                )
        finally:
            await producer.stop()
        return time.monotonic()

    report, _ = await run_case(stack, "poison record in every topic", poison)
    found = await dead_letters(stack.broker.bootstrap, list(groups), marker, len(expected))
    dead = Measure(
        "dead letters",
        acknowledged=len(expected),
        delivered=len(expected & found.keys()),
        lost=len(expected - found.keys()),
        duplicated=sum(1 for n in found.values() if n > 1),
    )
    report.measures.insert(0, dead)
    report.notes.append(
        f"{len(partitions)} topics, {sum(len(p) for p in partitions.values())} partitions: "
        f"{sum(1 for e in expected if not e[0])} (partition, group) pairs of a record that is "
        f"not an envelope, {sum(1 for e in expected if e[0])} (type, group) pairs of an "
        "envelope whose payload its contract refuses"
    )
    assert not (expected - found.keys()), sorted(expected - found.keys())[:10]
    assert not (found.keys() - expected), sorted(found.keys() - expected)[:10]
    assert_exactly_once(report)


@pytest.mark.parametrize("service", ["ingest", "moderation", "analytics"])
async def test_a_worker_killed_mid_batch_and_restarted_loses_and_doubles_nothing(
    stack: Stack, service: str
) -> None:
    worker = stack.procs[f"{service}-worker"]
    caught: list[bool] = []

    async def kill_and_restart() -> float:
        caught.append(await kill_mid_transaction(stack.db(), worker, f"{service}-worker"))
        await asyncio.sleep(1.0)
        worker.start()
        return time.monotonic()

    report, _ = await run_case(stack, f"{service} worker SIGKILL", kill_and_restart)
    report.notes.append(f"killed inside an open transaction: {caught[0]}")
    await stack.wait_worker_ready(service)
    assert_exactly_once(report)


async def test_the_publisher_worker_killed_while_publishing_publishes_each_post_once(
    stack: Stack,
) -> None:
    tenant = await stack.new_tenant("faults")
    posts = 40
    spread = 8.0
    texts: list[str] = []
    headers = {"Authorization": f"Bearer {tenant.key}"}
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT, headers=headers) as http:
        for n in range(posts):
            body = f"Autumn drop {n} {uuid.uuid4().hex[:8]}: soft wool and warm colours."
            created = await http.post(
                f"{stack.api('publisher')}/v1/posts",
                headers={"Idempotency-Key": uuid.uuid4().hex},
                json={
                    "text": body,
                    "scheduled_at": soon(2.0 + spread * n / posts),
                    "targets": [{"account_id": tenant.publishing_account, "network": "mastodon"}],
                },
            )
            if created.status_code == 201:
                texts.append(body)
    worker = stack.procs["publisher-worker"]
    engine = stack.db()

    async def published() -> int:
        return len(await statuses_by_text(stack.mastodon_url, tenant.mastodon_account))

    # Kill it while it publishes: once some posts are out and others are still due, inside a
    # transaction (claiming or recording a publication).
    await until(lambda: _at_least(published(), posts // 3), timeout=30, interval=0.1)
    before = await published()
    caught = await kill_mid_transaction(engine, worker, "publisher-worker")
    await asyncio.sleep(1.0)
    worker.start()
    repaired = time.monotonic()
    await stack.wait_worker_ready("publisher")
    out = await until(lambda: _at_least(published(), len(texts)), timeout=CONVERGE_TIMEOUT)
    recovered = None if out is None else time.monotonic() - repaired

    async def rolled_up() -> bool:
        return await rollup_total(engine, tenant.id, "posts.published") >= len(texts)

    await until(rolled_up, timeout=CONVERGE_TIMEOUT)
    await asyncio.sleep(SETTLE)
    on_network = await statuses_by_text(stack.mastodon_url, tenant.mastodon_account)
    publications = measure("publications", texts, on_network)
    publications.recovery_seconds = None if recovered is None else round(recovered, 1)
    report = CaseReport("publisher worker SIGKILL", [publications])
    report.measures.append(
        count_measure(
            "rollup posts.published",
            len(texts),
            await rollup_total(engine, tenant.id, "posts.published"),
        )
    )
    report.notes.append(
        f"{before} of {len(texts)} posts out when killed (inside an open transaction: {caught}); "
        "recovery = until every post was out"
    )
    RUN.reports.append(report)
    assert_exactly_once(report)


async def _at_least(value: Awaitable[int], minimum: int) -> bool:
    return await value >= minimum


async def test_an_api_replica_killed_with_requests_in_flight_lost_none_it_acknowledged(
    stack: Stack,
) -> None:
    second = stack.add_api("ingest", name="ingest-api-2")
    port = int(second.args[second.args.index("--port") + 1])
    second_url = f"http://127.0.0.1:{port}"
    await stack.wait_ready([f"{second_url}/readyz"])
    first = stack.procs["ingest-api"]
    loads: list[MetaLoad] = []
    unanswered: list[bytes] = []

    async def kill_and_restart() -> float:
        # One request surely in flight: its head and half its body are in the replica's hands.
        tenant = loads[0].tenant
        body, headers = meta_delivery(tenant.page, f"{tenant.page}_c-in-flight", "Hello?", 1)
        head = f"POST /v1/webhooks/meta HTTP/1.1\r\nHost: {HOST}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        head += f"Content-Length: {len(body)}\r\n\r\n"
        reader, writer = await asyncio.open_connection(HOST, stack.api_ports["ingest"])
        writer.write(head.encode() + body[: len(body) // 2])
        await writer.drain()
        # And some of the load's, most of the time.
        for _ in range(500):
            if loads[0].in_flight[stack.api("ingest")] > 0:
                break
            await asyncio.sleep(0.001)
        first.kill()
        with contextlib.suppress(ConnectionError):
            unanswered.append(await asyncio.wait_for(reader.read(), 5.0))
        writer.close()
        await asyncio.sleep(1.0)
        first.start()
        await stack.wait_ready([f"{stack.api('ingest')}/readyz"])
        return time.monotonic()

    try:
        report, _ = await run_case(
            stack,
            "ingest API replica SIGKILL",
            kill_and_restart,
            urls=[stack.api("ingest"), second_url],
            loads=loads,
        )
    finally:
        second.stop()
        del stack.procs["ingest-api-2"]
    # The request in flight got no answer (the connection closed or was reset): it was never
    # acknowledged, and neither were the load's requests cut off with it.
    assert unanswered in ([], [b""]), unanswered
    assert_exactly_once(report)


async def test_postgres_restarted_under_load_answers_503_then_recovers_alone(
    stack: Stack,
) -> None:
    async def restart_postgres() -> float:
        await asyncio.to_thread(stack.postgres.stop)
        await asyncio.sleep(3.0)
        await asyncio.to_thread(stack.postgres.start)
        return time.monotonic()

    report, result = await run_case(stack, "PostgreSQL restarted", restart_postgres)
    dead = [name for name, proc in stack.procs.items() if not proc.running()]
    assert not dead, {name: stack.procs[name].tail() for name in dead}
    assert result.statuses["503"] > 0, result.statuses  # the outage was seen
    assert result.unavailable_not_problem == 0
    assert result.statuses["500"] == 0, result.statuses
    assert result.hangs == 0, result.statuses
    assert_exactly_once(report)


async def test_the_broker_replaced_by_a_fresh_one_under_load_loses_and_doubles_nothing(
    stack: Stack,
) -> None:
    async def replace_broker() -> float:
        await asyncio.to_thread(stack.broker.stop)
        await asyncio.sleep(5.0)
        await asyncio.to_thread(stack.broker.start)
        return time.monotonic()

    report, _ = await run_case(stack, "broker replaced by a fresh one", replace_broker)
    dead = [name for name, proc in stack.procs.items() if not proc.running()]
    assert not dead, {name: stack.procs[name].tail() for name in dead}
    assert_exactly_once(report)
