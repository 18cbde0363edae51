"""Inbox stream benchmark: from a webhook delivery arriving at ingest to its event on the inbox's
Server-Sent Events stream.

The real processes: ingest's API (two uvicorn workers, as in `bench.ingest`) and worker, the
inbox's worker and API (one uvicorn worker), on embedded PostgreSQL and broker unless
DATABASE_URL / KAFKA_BOOTSTRAP are set. One Facebook Page is connected to an organization, a
client follows `GET /v1/inbox/stream` with an organization key, and signed Meta webhook
deliveries (one new comment each, signed like Meta signs them) are POSTed to ingest's
`/v1/webhooks/meta` at BENCH_RATE a second (500) for BENCH_SECONDS (30) after a warm-up of
WARMUP_SECONDS. A comment's latency runs from the moment its delivery is written to ingest's
socket to the moment its `message.received` event is read off the stream: ingest's intake and
outbox relay, the broker, the inbox's consumer filing it, the commit's notification, and the
stream. Every comment acknowledged must arrive once.

Prints a JSON object and writes bench/results/inbox_stream.json. `make bench-inbox-stream`, i.e.
`python -m bench.inbox_stream` from the repository root.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import time
import uuid
from collections import Counter
from pathlib import Path
from subprocess import Popen

import httpx
import orjson
import uvloop

from beacon_shared.auth.keys import issue_key
from beacon_shared.contracts.topics import COMMENT_RECEIVED, ENGAGEMENT_RECORDED
from beacon_shared.db import create_engine, create_sessionmaker
from beacon_shared.embedded import free_port
from beacon_shared.topics import ensure_topics
from bench.ingest import (
    APP_SECRET,
    FETCH_MAX_WAIT_MS,
    VERIFY_TOKEN,
    Client,
    connect_page,
    delivery,
    percentile,
    spawn,
    stop,
    uvicorn_args,
    wait_until_up,
)
from bench.servers import code_version, servers

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results" / "inbox_stream.json"
ALEMBIC_INIS = [
    ROOT / "shared" / "alembic.ini",
    ROOT / "services" / "ingest" / "alembic.ini",
    ROOT / "services" / "inbox" / "alembic.ini",
]
RATE = int(os.environ.get("BENCH_RATE", "500"))
MEASURE_SECONDS = float(os.environ.get("BENCH_SECONDS", "30"))
WARMUP_SECONDS = float(os.environ.get("BENCH_WARMUP_SECONDS", "5"))
# What has not arrived when nothing has for this long counts as lost.
DRAIN_IDLE_SECONDS = float(os.environ.get("BENCH_DRAIN_IDLE_SECONDS", "20"))
P99_LIMIT_MS = 1000.0


async def organization_key(database_url: str, tenant: str) -> str:
    """An organization API key that reads interactions."""
    engine = create_engine(database_url, pool_size=1)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            issued = await issue_key(
                session, tenant_id=tenant, name="bench", scopes=("interactions:read",)
            )
        return issued.key
    finally:
        await engine.dispose()


class Follower:
    """Reads the stream and notes when each comment's `message.received` event arrives."""

    def __init__(self, url: str, key: str) -> None:
        self.url, self.key = url, key
        self.arrived: dict[str, float] = {}
        self.seen: Counter[str] = Counter()
        self.opened = asyncio.Event()
        self.reconnects = 0

    async def run(self) -> None:
        last_id: str | None = None
        async with httpx.AsyncClient(timeout=httpx.Timeout(10.0, read=None)) as http:
            while True:
                headers = {"Authorization": f"Bearer {self.key}"}
                if last_id is not None:
                    headers["Last-Event-ID"] = last_id
                    self.reconnects += 1
                async with http.stream("GET", self.url, headers=headers) as response:
                    response.raise_for_status()
                    event_id = event = None
                    async for line in response.aiter_lines():
                        if line.startswith("retry:"):
                            self.opened.set()
                        elif line.startswith("id: "):
                            event_id = line[4:]
                        elif line.startswith("event: "):
                            event = line[7:]
                        elif line.startswith("data: ") and event == "message.received":
                            at = time.perf_counter()
                            external_id = orjson.loads(line[6:])["data"]["external_id"]
                            self.seen[external_id] += 1
                            self.arrived.setdefault(external_id, at)
                        elif line == "" and event_id is not None:
                            last_id, event_id, event = event_id, None, None


async def offer(client: Client, page: str, count: int, sent: dict[str, float]) -> dict[str, int]:
    """`count` deliveries at RATE a second, open loop; each comment's send time in `sent`."""
    ids = [f"{page}_c{uuid.uuid4().hex}" for _ in range(count)]
    requests = [delivery(page, ids[n], n) for n in range(count)]  # signing stays off the clock
    statuses: Counter[int] = Counter()

    async def send(n: int) -> None:
        sent[ids[n]] = time.perf_counter()
        statuses[await client.send(requests[n])] += 1

    tasks = []
    gc.collect()
    gc.disable()
    started = time.perf_counter()
    try:
        for n in range(count):
            delay = started + n / RATE - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(send(n)))
        offered = count / (time.perf_counter() - started)
        await asyncio.gather(*tasks)
    finally:
        gc.enable()
    return {"offered_per_s": round(offered), **{str(k): v for k, v in statuses.items()}}


async def drained(follower: Follower, sent: dict[str, float]) -> None:
    """Wait until every comment sent has arrived, or none has for DRAIN_IDLE_SECONDS."""
    count, since = len(follower.arrived), time.perf_counter()
    while not sent.keys() <= follower.arrived.keys():
        await asyncio.sleep(0.2)
        if len(follower.arrived) != count:
            count, since = len(follower.arrived), time.perf_counter()
        elif time.perf_counter() - since > DRAIN_IDLE_SECONDS:
            return


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


async def run(database_url: str, bootstrap: str, idempotence: bool) -> dict[str, object]:
    await ensure_topics(bootstrap, [COMMENT_RECEIVED, ENGAGEMENT_RECORDED])
    tenant, page = f"bench-{uuid.uuid4().hex[:8]}", str(10**14 + uuid.uuid4().int % 10**14)
    await connect_page(database_url, tenant, page)
    key = await organization_key(database_url, tenant)
    ingest_port, inbox_port = free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP": bootstrap,
        "KAFKA_FETCH_MAX_WAIT_MS": str(FETCH_MAX_WAIT_MS),
        "INGEST_META_APP_SECRET": APP_SECRET,
        "INGEST_META_VERIFY_TOKEN": VERIFY_TOKEN,
        "INGEST_WORKER_PORT": str(free_port()),
        "INBOX_WORKER_PORT": str(free_port()),
        "BIND_HOST": "127.0.0.1",
        "LOG_REQUESTS": "false",
        "LOG_LEVEL": "WARNING",
    }
    if not idempotence:
        env["KAFKA_ENABLE_IDEMPOTENCE"] = "false"
    inbox_api = uvicorn_args("inbox.main:create_app", inbox_port, "--factory")
    inbox_api[inbox_api.index("--workers") + 1] = "1"
    processes: list[Popen[bytes]] = []
    load_before = load_average()
    try:
        processes.append(spawn(["-m", "ingest.worker"], env))
        processes.append(spawn(["-m", "inbox.worker"], env))
        processes.append(
            spawn(uvicorn_args("ingest.main:create_app", ingest_port, "--factory"), env)
        )
        processes.append(spawn(inbox_api, env))
        for port in (env["INGEST_WORKER_PORT"], env["INBOX_WORKER_PORT"], ingest_port, inbox_port):
            await wait_until_up(f"http://127.0.0.1:{port}/readyz", timeout=120)

        follower = Follower(f"http://127.0.0.1:{inbox_port}/v1/inbox/stream", key)
        following = asyncio.create_task(follower.run())
        await asyncio.wait_for(follower.opened.wait(), 30)
        client = Client(ingest_port)
        warmup_sent: dict[str, float] = {}
        await offer(client, page, int(RATE * WARMUP_SECONDS), warmup_sent)
        sent: dict[str, float] = {}
        load_start = load_average()
        answered = await offer(client, page, int(RATE * MEASURE_SECONDS), sent)
        load_end = load_average()
        sent_until = time.perf_counter()
        await drained(follower, sent)
        following.cancel()
        client.close()
    finally:
        for process in reversed(processes):
            stop(process)
    latencies = [
        (follower.arrived[c] - at) * 1000 for c, at in sent.items() if c in follower.arrived
    ]
    p99 = percentile(latencies, 99)
    times = sorted(follower.arrived[c] for c in sent if c in follower.arrived)
    # How fast the measured comments came out of the stream, against how fast they went in.
    drained_per_s = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
    return {
        "rate": RATE,
        "seconds": MEASURE_SECONDS,
        "warmup_seconds": WARMUP_SECONDS,
        "sent": len(sent),
        "answered": answered,
        "arrived": len(latencies),
        "lost": len(sent) - len(latencies),
        "duplicated": sum(1 for c in sent if follower.seen[c] > 1),
        "stream_reconnects": follower.reconnects,
        "arrived_per_s": round(drained_per_s, 1),
        "last_arrival_after_last_send_s": (round(times[-1] - sent_until, 2) if times else None),
        "p50_ms": percentile(latencies, 50),
        "p90_ms": percentile(latencies, 90),
        "p99_ms": p99,
        "max_ms": round(max(latencies), 2) if latencies else None,
        "p99_limit_ms": P99_LIMIT_MS,
        "within_limit": bool(latencies) and p99 < P99_LIMIT_MS,
        "load_average": {"before": load_before, "start": load_start, "end": load_end},
        "cpus": os.cpu_count(),
        "code": code_version(),
    }


def main() -> None:
    with servers(migrate=ALEMBIC_INIS) as found:
        result = uvloop.run(run(found.database_url, found.bootstrap, idempotence=found.idempotence))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"stream latency at {result['rate']}/s over {result['seconds']} s: "
        f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms "
        f"(limit {P99_LIMIT_MS:.0f} ms); lost {result['lost']}, duplicated {result['duplicated']}"
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
