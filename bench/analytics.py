"""Analytics benchmark: aggregation rate against the broker's raw consume rate, freshness, and
report latency over 10 million events.

1. N events (comments 40 %, engagements 45 %, moderation decisions 10 %, publications 5 %; 20
   brands, a few hundred posts, thousands of authors) are produced onto the real topics, encoded
   as the services' outboxes encode them.
2. Raw consume: a bare consumer in a new group reads them all, decoding nothing.
3. Aggregation: the worker runtime (`worker_main`, its consumer runner, inbox and rollup
   upserts) in BENCH_WORKERS processes (2 by default) sharing the `analytics.events` group and
   nothing else, from the start of the topics; the rate runs from the first committed batch to
   the commit covering every event.
4. Freshness: once the backlog is drained, comments stamped with their send time at a steady
   rate; GET /v1/analytics/summary is polled until each is counted (the k-th comment sent is
   visible once the brand's count reaches k).
5. Report latency: rollup rows shaped like 10 million events over 60 days are bulk-loaded with
   INSERT … SELECT generate_series, then GET /v1/analytics/summary for one brand and 30 days.

Runs on embedded servers unless DATABASE_URL / KAFKA_BOOTSTRAP are set. Prints a table and
writes bench/results/analytics.json. `make bench-analytics`, i.e. `python -m bench.analytics`
from the repository root (as a script, bench/ would shadow the analytics package).
`python -m bench.analytics worker` is the aggregating process step 3 starts.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from subprocess import Popen

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.aggregation import GROUP_ID, events_consumer
from analytics.config import Settings
from analytics.db import inbox
from analytics.main import create_app
from beacon_shared.auth.keys import issue_key
from beacon_shared.contracts.common import Author, Network
from beacon_shared.contracts.ingest import CommentReceived, EngagementRecorded, InteractionKind
from beacon_shared.contracts.moderation import CommentModerated, ModerationAction
from beacon_shared.contracts.publisher import PostPublished
from beacon_shared.contracts.topics import (
    ALL_TOPICS,
    COMMENT_MODERATED,
    COMMENT_RECEIVED,
    ENGAGEMENT_RECORDED,
    POST_PUBLISHED,
)
from beacon_shared.db import create_engine, create_sessionmaker
from beacon_shared.embedded import free_port
from beacon_shared.events import Envelope, EventPayload
from beacon_shared.outbox import OutboxRecord, outbox_records
from beacon_shared.worker import WorkerSpec, worker_main
from bench.cpu import cpu_seconds
from bench.ingest import percentile, spawn, stop
from bench.servers import servers

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results" / "analytics.json"
ALEMBIC_INIS = [ROOT / "shared" / "alembic.ini", ROOT / "services" / "analytics" / "alembic.ini"]
EVENTS = int(os.environ.get("BENCH_EVENTS", "300000"))
BRANDS = 20
POSTS_PER_BRAND = 15  # 300 posts
AUTHORS = 20_000
FRESH_RATE = int(os.environ.get("BENCH_FRESH_RATE", "2000"))  # comments/s
FRESH_SECONDS = float(os.environ.get("BENCH_FRESH_SECONDS", "15"))
POLL_SECONDS = 0.05  # how often the freshness probe reads the summary
REPORT_EVENTS = 10_000_000
REPORT_REQUESTS = int(os.environ.get("BENCH_REPORT_REQUESTS", "200"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))  # processes sharing the group's partitions
STARTUP_SECONDS = 120.0  # to start, join the group and commit a first batch
IDLE_SECONDS = 20.0  # without a new batch: the rest counts as not aggregated
TOPICS = (COMMENT_RECEIVED, ENGAGEMENT_RECORDED, COMMENT_MODERATED, POST_PUBLISHED)
TARGETS = {
    "events_per_s": 100_000,
    "ratio_to_raw": 0.30,
    "freshness_p99_ms": 2000,
    "report_ms": 100,
}


def worker_spec() -> WorkerSpec:
    """The analytics worker with its rollup consumer only."""
    return WorkerSpec(topics=ALL_TOPICS, inbox=inbox, consumers=[events_consumer()])


def envelope(payload: EventPayload, tenant: str, subject: str, at: datetime) -> Envelope:
    built = Envelope.build(payload, tenant_id=tenant, subject=subject, source="/bench")
    return built.model_copy(update={"time": at})  # stored when it happened, as by the outbox


def event_mix(tenant: str, count: int, now: datetime, seed: int = 3) -> list[OutboxRecord]:
    """`count` events in the mix, keyed as their services key them, over the last hour."""
    rng = random.Random(seed)
    brands = [f"brand-{b}" for b in range(BRANDS)]
    posts = [(b, f"post-{b}-{p}") for b in range(BRANDS) for p in range(POSTS_PER_BRAND)]
    envelopes: list[Envelope] = []
    keys: list[str] = []
    published = 0
    comments: list[CommentReceived] = []  # the decisions answer recent comments
    for n in range(count):
        b, thread = rng.choice(posts)
        brand, network = brands[b], (Network.facebook, Network.instagram)[b % 2]
        at = now - timedelta(seconds=rng.uniform(0, 3600))
        author = Author(network_id=str(rng.randrange(AUTHORS)))
        account = f"acct-{b}-{n % 3}"
        draw = rng.random()
        if draw < 0.40:
            comment = CommentReceived(
                interaction_id=uuid.uuid4(),
                brand_id=brand,
                account_external_id=account,
                network=network,
                kind=InteractionKind.comment if draw < 0.34 else InteractionKind.mention,
                external_id=f"c-{n}",
                thread_external_id=thread,
                author=author,
                text="Love the new collection, when is it in stock?",
                created_at=at,
                received_at=at,
            )
            envelopes.append(envelope(comment, tenant, str(comment.interaction_id), at))
            keys.append(thread)
            comments.append(comment)
        elif draw < 0.85:
            kind = InteractionKind.reaction if draw < 0.78 else InteractionKind.share
            engagement = EngagementRecorded(
                interaction_id=uuid.uuid4(),
                brand_id=brand,
                account_external_id=account,
                network=network,
                kind=kind,
                external_id=f"e-{n}",
                target_external_id=thread,
                reaction="like" if kind == InteractionKind.reaction else None,
                author=author,
                created_at=at,
                received_at=at,
            )
            envelopes.append(envelope(engagement, tenant, str(engagement.interaction_id), at))
            keys.append(thread)
        elif draw < 0.95 and comments:
            answered = comments[-rng.randint(1, min(len(comments), 1000))]
            decision = CommentModerated(
                decision_id=uuid.uuid4(),
                interaction_id=answered.interaction_id,
                brand_id=answered.brand_id,
                network=answered.network,
                external_id=answered.external_id,
                action=rng.choice((ModerationAction.allow,) * 8 + (ModerationAction.hide,) * 2),
                decided_by="rule:classifier",
                scores={"positive": 0.6, "negative": 0.1},
                decided_at=answered.created_at + timedelta(seconds=2),
            )
            envelopes.append(envelope(decision, tenant, str(decision.interaction_id), at))
            keys.append(str(decision.interaction_id))
        else:
            # A few hundred posts, each published once; later publications are other posts.
            external = thread if published < len(posts) else f"post-{b}-x{n}"
            published += 1
            publication = PostPublished(
                post_id=uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant}/{external}"),
                target_id=uuid.uuid4(),
                brand_id=brand,
                campaign_id=f"campaign-{b % 5}",
                account_id=str(uuid.uuid4()),
                network=network,
                external_id=external,
                scheduled_at=at,
                published_at=at,
                external_account_id=account,
            )
            envelopes.append(envelope(publication, tenant, str(publication.post_id), at))
            keys.append(str(publication.post_id))
    return outbox_records(envelopes, keys=keys)


async def produce(bootstrap: str, records: Sequence[OutboxRecord]) -> float:
    """Send every record (a plain, non-idempotent producer); returns events/s."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, linger_ms=5, max_batch_size=256 * 1024, acks="all"
    )
    await producer.start()
    try:
        started = time.perf_counter()
        futures = [
            await producer.send(
                r.topic,
                value=r.value,
                key=r.key.encode(),
                headers=[(k, v.encode()) for k, v in r.headers],
            )
            for r in records
        ]
        await asyncio.gather(*futures)
        return len(records) / (time.perf_counter() - started)
    finally:
        await producer.stop()


async def raw_consume(bootstrap: str, count: int) -> float:
    """events/s of a bare consumer in a new group reading `count` records, decoding nothing."""
    consumer = AIOKafkaConsumer(
        *(t.name for t in TOPICS),
        bootstrap_servers=bootstrap,
        group_id=f"bench-raw-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=8 * 1024 * 1024,
    )
    await consumer.start()
    try:
        read = timed = 0
        first = 0.0
        while read < count:
            batches = await consumer.getmany(timeout_ms=500, max_records=50_000)
            got = sum(len(records) for records in batches.values())
            if got and not first:
                first = (
                    time.perf_counter()
                )  # the first fetch (after the group join) opens the clock
            else:
                timed += got
            read += got
        seconds = time.perf_counter() - first
        return timed / seconds if seconds > 0 else 0.0
    finally:
        await consumer.stop()


async def handled(engine: AsyncEngine) -> int:
    """Events the group has handled: its inbox rows, inserted in each batch's transaction."""
    async with engine.connect() as conn:
        found = await conn.execute(
            text("SELECT count(*) FROM analytics.inbox WHERE consumer = :group"),
            {"group": GROUP_ID},
        )
        return int(found.scalar_one())


async def aggregation(
    database_url: str, env: dict[str, str], total: int
) -> tuple[dict[str, object], list[Popen[bytes]]]:
    """Start WORKERS workers (one group) and time their batches from the first committed one
    to the one that completes `total`; gives up after IDLE_SECONDS without progress."""
    engine = create_engine(database_url)
    workers = [
        spawn(
            ["-m", "bench.analytics", "worker"], {**env, "ANALYTICS_WORKER_PORT": str(free_port())}
        )
        for _ in range(WORKERS)
    ]
    try:
        first: tuple[float, int] | None = None
        done, last, progressed = 0, 0, time.perf_counter()
        cpu_first = cpu_last = 0.0
        while done < total:
            for worker in workers:
                if worker.poll() is not None:
                    raise RuntimeError(f"an analytics worker exited with code {worker.returncode}")
            done = await handled(engine)
            now = time.perf_counter()
            if done != last:
                last, progressed = done, now
                cpu_last = sum(cpu_seconds(worker.pid) for worker in workers)
                if first is None:
                    first, cpu_first = (now, done), cpu_last
            elif now - progressed > (STARTUP_SECONDS if first is None else IDLE_SECONDS):
                break
            await asyncio.sleep(0.1)
        seconds = progressed - first[0] if first else 0.0
        rate = (last - first[1]) / seconds if first and seconds > 0 else 0.0
        # Per worker near 100: their event loops are the limit, not the database or the broker.
        busy = 100 * (cpu_last - cpu_first) / seconds if seconds > 0 else 0.0
        result = {"aggregated": last, "seconds": round(seconds, 2), "per_s": rate}
        return {**result, "workers": WORKERS, "workers_cpu_percent": round(busy)}, workers
    except BaseException:
        for worker in workers:
            stop(worker)
        raise
    finally:
        await engine.dispose()


@asynccontextmanager
async def api(database_url: str, bootstrap: str, tenant: str) -> AsyncIterator[httpx.AsyncClient]:
    """The analytics app in process over ASGI, with an API key of `tenant`."""
    engine = create_engine(database_url)
    async with create_sessionmaker(engine)() as session, session.begin():
        issued = await issue_key(
            session,
            tenant_id=tenant,
            name="bench",
            scopes=["analytics:read"],
            rate_limit_per_minute=10_000_000,
        )
    await engine.dispose()
    app = create_app(
        Settings(database_url=database_url, kafka_bootstrap=bootstrap, log_level="WARNING")
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://analytics",
            headers={"Authorization": f"Bearer {issued.key}"},
        ) as client,
    ):
        yield client


async def comments_visible(client: httpx.AsyncClient, brand: str, start: datetime) -> int:
    response = await client.get(
        "/v1/analytics/summary",
        params={
            "from": start.isoformat(),
            "to": (datetime.now(UTC) + timedelta(minutes=5)).isoformat(),
            "brand_id": brand,
        },
    )
    response.raise_for_status()
    return int(response.json()["figures"]["comments"]["current"] or 0)


async def freshness(bootstrap: str, client: httpx.AsyncClient, tenant: str) -> dict[str, object]:
    """Comments stamped at their send, FRESH_RATE/s; latency to their count in the summary."""
    brand = "brand-fresh"
    start = datetime.now(UTC).replace(second=0, microsecond=0)
    count = int(FRESH_RATE * FRESH_SECONDS)
    sent_at: list[float] = []
    seen_at: list[float] = []
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()

    async def send() -> None:
        started = time.perf_counter()
        for n in range(count):
            delay = started + n / FRESH_RATE - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            now = datetime.now(UTC)
            payload = CommentReceived(
                interaction_id=uuid.uuid4(),
                brand_id=brand,
                account_external_id="acct-fresh",
                network=Network.facebook,
                kind=InteractionKind.comment,
                external_id=f"fresh-{n}",
                thread_external_id=f"fresh-post-{n % 16}",
                author=Author(network_id=str(n % 500)),
                text="Is it back in stock?",
                created_at=now,
                received_at=now,
            )
            (record,) = outbox_records(
                [envelope(payload, tenant, str(payload.interaction_id), now)],
                keys=[payload.thread_external_id or ""],
            )
            sent_at.append(time.perf_counter())
            await producer.send(
                record.topic,
                value=record.value,
                key=record.key.encode(),
                headers=[(k, v.encode()) for k, v in record.headers],
            )
        await producer.flush()

    async def watch() -> None:
        idle_since = time.perf_counter()
        while len(seen_at) < count and time.perf_counter() - idle_since < 30:
            visible = await comments_visible(client, brand, start)
            now = time.perf_counter()
            if visible > len(seen_at):
                seen_at.extend([now] * (min(visible, count) - len(seen_at)))
                idle_since = now
            await asyncio.sleep(POLL_SECONDS)

    try:
        await asyncio.gather(send(), watch())
    finally:
        await producer.stop()
    latencies = [(seen - sent) * 1000 for sent, seen in zip(sent_at, seen_at, strict=False)]
    return {
        "rate_per_s": FRESH_RATE,
        "seconds": FRESH_SECONDS,
        "sent": count,
        "visible": len(seen_at),
        "poll_ms": POLL_SECONDS * 1000,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "max_ms": round(max(latencies, default=0.0), 1),
    }


# Rollup rows as `record` writes them for ≈10 M events over 60 days in 20 brands (UTC days):
# minute, hour and day totals per metric, hours and days per network, account (3) and post
# (15 a day, each live for 48 h), and a day row per author (200 a day). Values average 2, so
# the minute totals sum to ≈ REPORT_EVENTS.
LOAD_SQL = """
WITH brands AS (SELECT 'rb-' || b AS brand FROM generate_series(0, 19) b),
metrics AS (SELECT unnest(ARRAY['comments', 'reactions', 'shares']) AS metric),
minutes AS (SELECT CAST(:start AS timestamptz) + m * interval '1 minute' AS at
            FROM generate_series(0, CAST(:minutes AS int) - 1) m)
INSERT INTO analytics.rollup
SELECT CAST(:tenant AS text), brand, 'minute', 'total', at, '', metric,
       1 + (extract(epoch FROM at)::bigint / 60 % 3)
FROM brands, metrics, minutes
"""
LOAD_HOUR_SQL = """
WITH brands AS (SELECT 'rb-' || b AS brand FROM generate_series(0, 19) b),
metrics AS (SELECT unnest(ARRAY['comments', 'reactions', 'shares']) AS metric),
hours AS (SELECT CAST(:start AS timestamptz) + h * interval '1 hour' AS at
          FROM generate_series(0, CAST(:hours AS int) - 1) h),
keys AS (SELECT 'total' AS dim, '' AS key UNION ALL SELECT 'network', 'facebook'
         UNION ALL SELECT 'account', 'facebook:a' || a FROM generate_series(0, 2) a)
INSERT INTO analytics.rollup
SELECT CAST(:tenant AS text), brand, grain, dim, CASE grain WHEN 'hour' THEN at
       ELSE date_trunc('day', at) END, key, metric, sum(120)
FROM brands, metrics, hours, keys, unnest(ARRAY['hour', 'day']) grain
GROUP BY 1, 2, 3, 4, 5, 6, 7
"""
LOAD_POSTS_SQL = """
WITH brands AS (SELECT 'rb-' || b AS brand FROM generate_series(0, 19) b),
metrics AS (SELECT unnest(ARRAY['comments', 'reactions', 'shares']) AS metric),
posts AS (SELECT p, CAST(:start AS timestamptz) + (p / 15) * interval '1 day' AS published
          FROM generate_series(0, CAST(:days AS int) * 15 - 1) p),
hours AS (SELECT p, published + h * interval '1 hour' AS at
          FROM posts, generate_series(0, 47) h)
INSERT INTO analytics.rollup
SELECT CAST(:tenant AS text), brand, grain, 'post', CASE grain WHEN 'hour' THEN at
       ELSE date_trunc('day', at) END, 'post-' || p, metric, sum(4)
FROM brands, metrics, hours, unnest(ARRAY['hour', 'day']) grain
GROUP BY 1, 2, 3, 4, 5, 6, 7
"""
LOAD_AUTHORS_SQL = """
INSERT INTO analytics.rollup
SELECT CAST(:tenant AS text), 'rb-' || b, 'day', 'author',
       CAST(:start AS timestamptz) + d * interval '1 day', 'facebook:' || a, 'comments', 1 + a % 3
FROM generate_series(0, 19) b, generate_series(0, CAST(:days AS int) - 1) d,
     generate_series(0, 199) a
"""


async def load_report_rows(database_url: str, tenant: str, start: datetime) -> dict[str, object]:
    days = 60
    engine = create_engine(database_url)
    try:
        began = time.perf_counter()
        async with engine.begin() as conn:
            params = {"tenant": tenant, "start": start, "days": days}
            await conn.execute(text(LOAD_SQL), {**params, "minutes": days * 1440})
            await conn.execute(text(LOAD_HOUR_SQL), {**params, "hours": days * 24})
            await conn.execute(text(LOAD_POSTS_SQL), params)
            await conn.execute(text(LOAD_AUTHORS_SQL), params)
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE analytics.rollup"))
            found = (
                await conn.execute(
                    text(
                        "SELECT count(*), coalesce(sum(value), 0) FROM analytics.rollup"
                        " WHERE tenant_id = :t"
                        " AND grain = 'minute' AND dimension = 'total'"
                    ),
                    {"t": tenant},
                )
            ).one()
            rows = (
                await conn.execute(
                    text("SELECT count(*) FROM analytics.rollup WHERE tenant_id = :t"),
                    {"t": tenant},
                )
            ).scalar_one()
        return {
            "rows": rows,
            "events": int(found[1]),
            "days": days,
            "load_seconds": round(time.perf_counter() - began, 1),
        }
    finally:
        await engine.dispose()


async def report_latency(client: httpx.AsyncClient, start: datetime) -> dict[str, float]:
    """GET /v1/analytics/summary for one brand's last 30 days (with the 30 before), in turn."""
    end = start + timedelta(days=60, hours=-5, minutes=-17)  # ends mid-hour: minutes are read
    params = {
        "from": (end - timedelta(days=30)).isoformat(),
        "to": end.isoformat(),
        "brand_id": "rb-7",
    }
    for _ in range(10):  # warm the pool and the caches
        (await client.get("/v1/analytics/summary", params=params)).raise_for_status()
    latencies = []
    for _ in range(REPORT_REQUESTS):
        began = time.perf_counter()
        response = await client.get("/v1/analytics/summary", params=params)
        latencies.append((time.perf_counter() - began) * 1000)
        response.raise_for_status()
    figures = response.json()["figures"]
    return {
        "requests": REPORT_REQUESTS,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "mean_ms": round(statistics.fmean(latencies), 2),
        "comments_in_period": figures["comments"]["current"],
    }


def worker_env(database_url: str, bootstrap: str, idempotence: bool) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP": bootstrap,
        "ANALYTICS_WORKER_PORT": str(free_port()),
        "BIND_HOST": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }
    if not idempotence:
        env["KAFKA_ENABLE_IDEMPOTENCE"] = "false"
    return env


async def run(database_url: str, bootstrap: str, idempotence: bool) -> dict[str, object]:
    from beacon_shared.topics import ensure_topics

    await ensure_topics(bootstrap, TOPICS)
    tenant = f"bench-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    records = event_mix(tenant, EVENTS, now)
    produced = await produce(bootstrap, records)
    raw = await raw_consume(bootstrap, len(records))
    env = worker_env(database_url, bootstrap, idempotence)
    rate = 0.0
    aggregated, workers = await aggregation(database_url, env, len(records))
    rate = float(aggregated["per_s"])  # type: ignore[arg-type]
    try:
        async with api(database_url, bootstrap, tenant) as client:
            fresh = await freshness(bootstrap, client, tenant)
    finally:
        for worker in workers:
            stop(worker)
    report_tenant = f"bench-report-{uuid.uuid4().hex[:8]}"
    report_start = (now - timedelta(days=60)).replace(hour=0, minute=0, second=0, microsecond=0)
    loaded = await load_report_rows(database_url, report_tenant, report_start)
    async with api(database_url, bootstrap, report_tenant) as client:
        report = await report_latency(client, report_start)
    return {
        "events": len(records),
        "produced_per_s": round(produced),
        "raw_consume_per_s": round(raw),
        "aggregated": aggregated["aggregated"],
        "aggregation_seconds": aggregated["seconds"],
        "aggregation_workers": aggregated["workers"],
        "aggregation_workers_cpu_percent": aggregated["workers_cpu_percent"],
        "aggregated_per_s": round(rate),
        "ratio_to_raw": round(rate / raw, 3) if raw else 0.0,
        "freshness": fresh,
        "report": {**loaded, **report},
        "targets": TARGETS,
    }


def table(result: dict[str, object]) -> str:
    fresh, report = result["freshness"], result["report"]
    assert isinstance(fresh, dict)
    assert isinstance(report, dict)
    rows = [
        ("raw consume (events/s)", result["raw_consume_per_s"], ""),
        ("aggregated (events/s)", result["aggregated_per_s"], "≥ 100,000"),
        ("aggregated / raw", result["ratio_to_raw"], "≥ 0.30"),
        ("freshness p50 (ms)", fresh["p50_ms"], ""),
        ("freshness p99 (ms)", fresh["p99_ms"], "< 2,000"),
        (f"summary over {report['events']:,} events p50 (ms)", report["p50_ms"], ""),
        (f"summary over {report['events']:,} events p99 (ms)", report["p99_ms"], "< 100"),
    ]
    return "\n".join(f"{name:<44} {value!s:>12}  {target}" for name, value, target in rows)


def main() -> None:
    if sys.argv[1:] == ["worker"]:
        sys.argv[1:] = []
        worker_main(Settings(), worker_spec())
        return
    with servers(migrate=ALEMBIC_INIS) as found:
        result = asyncio.run(run(found.database_url, found.bootstrap, found.idempotence))
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(table(result))


if __name__ == "__main__":
    main()
