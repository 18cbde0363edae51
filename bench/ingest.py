"""Ingest benchmark: signed Meta webhooks over loopback HTTP against a bare 202 endpoint.

Both targets run as `uvicorn --workers 2`. The offered rate steps up until p99 reaches 50 ms or a
request fails; then every acknowledged comment is looked up in `comment.received`. Runs on
embedded servers unless DATABASE_URL / KAFKA_BOOTSTRAP are set. Prints a JSON object and writes
bench/results/ingest.json. `make bench-ingest`.

This module is also the baseline app (`baseline`): it is served with bench/ on the import path,
so it must not import the ingest service's package at module level (the names collide).
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import hmac
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import uvloop
from aiokafka import AIOKafkaConsumer
from fastapi import FastAPI, Response
from sqlalchemy import text

from beacon_shared.contracts.topics import COMMENT_RECEIVED, ENGAGEMENT_RECORDED
from beacon_shared.db import create_engine
from beacon_shared.embedded import free_port
from beacon_shared.topics import ensure_topics

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results" / "ingest.json"
ALEMBIC_INIS = [ROOT / "shared" / "alembic.ini", *sorted(ROOT.glob("services/*/alembic.ini"))]
APP_SECRET = "b3e1c0d2a4f6e8b0c2d4f6a8b0c2d4e6"
VERIFY_TOKEN = "bench-verify-token"
PATH = "/v1/webhooks/meta"
RATES = [
    int(r)
    for r in os.environ.get(
        "BENCH_RATES",
        "100,200,400,600,800,1000,1200,1400,1600,1800,2000,2400,2800,3200,3600,4000,4800,5600,"
        "6400,7200,8000",
    ).split(",")
]
STEP_SECONDS = float(os.environ.get("BENCH_STEP_SECONDS", "10"))
P99_LIMIT_MS = 50.0
# A step counts as sustained only if the generator really offered (close to) its rate.
MIN_OFFERED_SHARE = 0.95
CONNECTIONS = 256
REQUEST_TIMEOUT_SECONDS = 5.0  # a slower answer counts as an error
THREADS = 64  # posts the comments are spread over (the events' keys)
DRAIN_IDLE_SECONDS = 15.0  # stop reading comment.received after this long without news
FETCH_MAX_WAIT_MS = 20

baseline = FastAPI()


@baseline.post(PATH, status_code=202)
async def accept_anything() -> Response:
    """The floor: an ASGI app that answers 202 and does nothing else."""
    return Response(status_code=202)


@baseline.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@dataclass
class Step:
    rate: int
    sent: int
    ok: int
    errors: int
    offered_per_s: float
    p50_ms: float
    p99_ms: float

    @property
    def sustained(self) -> bool:
        return (
            self.errors == 0
            and self.p99_ms < P99_LIMIT_MS
            and self.offered_per_s >= MIN_OFFERED_SHARE * self.rate
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "rate": self.rate,
            "sent": self.sent,
            "ok": self.ok,
            "errors": self.errors,
            "offered_per_s": round(self.offered_per_s),
            "p50_ms": self.p50_ms,
            "p99_ms": self.p99_ms,
            "sustained": self.sustained,
        }


def delivery(page: str, comment_id: str, n: int) -> bytes:
    """A Pages feed delivery with one new comment, signed like Meta signs it, as request bytes."""
    created = int(time.time())
    body = orjson.dumps(
        {
            "object": "page",
            "entry": [
                {
                    "id": page,
                    "time": created,
                    "changes": [
                        {
                            "field": "feed",
                            "value": {
                                "from": {"id": f"{1_000_000 + n % 5000}", "name": "Ada Lovelace"},
                                "post_id": f"{page}_{n % THREADS}",
                                "created_time": created,
                                "item": "comment",
                                "verb": "add",
                                "comment_id": comment_id,
                                "message": "Love the new colours! Is the blue one back in stock?",
                            },
                        }
                    ],
                }
            ],
        }
    )
    digest = hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"X-Hub-Signature-256: sha256={digest}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class Client:
    """A minimal HTTP/1.1 keep-alive client: httpx costs more CPU per request than the server."""

    def __init__(self, port: int) -> None:
        self.port = port
        # First in, first out: every connection stays in use, so none idles out server-side.
        self.idle: deque[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = deque()
        self.opened = 0
        self.freed = asyncio.Condition()

    async def _acquire(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        while not self.idle:
            if self.opened < CONNECTIONS:
                self.opened += 1
                return await asyncio.open_connection("127.0.0.1", self.port)
            async with self.freed:
                await self.freed.wait()
        return self.idle.popleft()

    async def _release(self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter]) -> None:
        self.idle.append(conn)
        async with self.freed:
            self.freed.notify()

    async def send(self, request: bytes) -> int:
        """Send a prepared request; returns the status, 0 when it failed or timed out."""
        conn = None
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT_SECONDS):
                reader, writer = conn = await self._acquire()
                writer.write(request)
                status = int((await reader.readline()).split(b" ", 2)[1])
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                await reader.readexactly(length)
        except (OSError, IndexError, ValueError, TimeoutError, asyncio.IncompleteReadError):
            if conn is not None:  # its state is unknown: never reuse it
                conn[1].close()
                self.opened -= 1
            return 0
        await self._release(conn)
        return status

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return round(values[0], 2) if values else 0.0
    return round(statistics.quantiles(values, n=100)[q - 1], 2)


async def step(client: Client, rate: int, page: str, acked: list[str]) -> Step:
    """Offer `rate` deliveries/s for STEP_SECONDS, open loop; latency counts from the schedule."""
    count = int(rate * STEP_SECONDS)
    ids = [f"{page}_c{uuid.uuid4().hex}" for _ in range(count)]
    requests = [delivery(page, ids[n], n) for n in range(count)]  # signing stays off the clock
    latencies: list[float] = []
    ok = errors = 0

    async def send(n: int, due: float) -> None:
        nonlocal ok, errors
        status = await client.send(requests[n])
        latencies.append((time.perf_counter() - due) * 1000)
        if 200 <= status < 300:
            ok += 1
            acked.append(ids[n])
        else:
            errors += 1

    tasks = []
    # The generator's own collector would pause every in-flight request (it scans the step's
    # tens of thousands of tasks) and count as server latency: off during the step.
    gc.collect()
    gc.disable()
    started = time.perf_counter()
    for n in range(count):
        due = started + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(n, due)))
    offered = count / (time.perf_counter() - started)
    try:
        await asyncio.gather(*tasks)
    finally:
        gc.enable()
    return Step(
        rate=rate,
        sent=count,
        ok=ok,
        errors=errors,
        offered_per_s=offered,
        p50_ms=percentile(latencies, 50),
        p99_ms=percentile(latencies, 99),
    )


async def ramp(target: str, port: int, page: str, acked: list[str]) -> list[Step]:
    """Step the offered rate up until a step is not sustained."""
    client = Client(port)
    steps: list[Step] = []
    try:
        # Open every connection before the clock runs (a step would otherwise pay for the
        # connections it opens) and warm both workers.
        warm = [f"{page}_warm{uuid.uuid4().hex}" for _ in range(CONNECTIONS)]
        statuses = await asyncio.gather(
            *(client.send(delivery(page, comment, n)) for n, comment in enumerate(warm))
        )
        acked.extend(c for c, status in zip(warm, statuses, strict=True) if 200 <= status < 300)
        for rate in RATES:
            result = await step(client, rate, page, acked)
            steps.append(result)
            print(json.dumps({"target": target, **result.as_dict()}), file=sys.stderr)
            if not result.sustained:
                break
    finally:
        client.close()
    return steps


def best(steps: list[Step]) -> Step | None:
    sustained = [s for s in steps if s.sustained]
    return max(sustained, key=lambda s: s.rate) if sustained else None


async def emitted(bootstrap: str, tenant: str, expected: set[str]) -> Counter[str]:
    """Count comment.received events per external id for `tenant`, read from the beginning."""
    consumer = AIOKafkaConsumer(
        COMMENT_RECEIVED.name,
        bootstrap_servers=bootstrap,
        group_id=f"bench-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
    )
    counts: Counter[str] = Counter()
    await consumer.start()
    try:
        last_news = time.perf_counter()
        while time.perf_counter() - last_news < DRAIN_IDLE_SECONDS:
            batches = await consumer.getmany(timeout_ms=200, max_records=2000)
            for records in batches.values():
                for record in records:
                    value = orjson.loads(record.value)
                    if value["tenantid"] == tenant:
                        counts[value["data"]["external_id"]] += 1
                        last_news = time.perf_counter()
            if expected <= counts.keys():
                # Everything arrived; one more short read catches a trailing duplicate.
                await consumer.getmany(timeout_ms=500)
                break
    finally:
        await consumer.stop()
    return counts


async def wait_until_up(url: str, timeout: float = 60.0) -> None:
    deadline = time.perf_counter() + timeout
    async with httpx.AsyncClient(timeout=2.0) as client:
        while True:
            try:
                if (await client.get(url)).is_success:
                    return
            except httpx.HTTPError:
                pass
            if time.perf_counter() > deadline:
                raise RuntimeError(f"{url} did not come up")
            await asyncio.sleep(0.2)


def spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, start_new_session=True)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server and the workers it forked (its own session, so its own process group)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def uvicorn_args(target: str, port: int, *extra: str) -> list[str]:
    return [
        "-m",
        "uvicorn",
        *extra,
        target,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "2",
        "--no-access-log",
        # Longer than the pauses between steps, so that an idle pooled connection is not closed
        # under the client (the default is 5 s).
        "--timeout-keep-alive",
        "60",
        "--log-level",
        "warning",
    ]


async def connect_page(database_url: str, tenant: str, page: str) -> None:
    """One Facebook Page connected to the tenant, as the accounts API would store it."""
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO ingest.connected_account (id, tenant_id, network, "
                    "external_account_id, display_name) VALUES (:id, :tenant, 'facebook', :page, "
                    "'Bench Page')"
                ),
                {"id": uuid.uuid4(), "tenant": tenant, "page": page},
            )
    finally:
        await engine.dispose()


async def run(database_url: str, bootstrap: str, idempotence: bool) -> dict[str, object]:
    await ensure_topics(bootstrap, [COMMENT_RECEIVED, ENGAGEMENT_RECORDED])
    tenant, page = f"bench-{uuid.uuid4().hex[:8]}", str(10**14 + uuid.uuid4().int % 10**14)
    await connect_page(database_url, tenant, page)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP": bootstrap,
        "INGEST_META_APP_SECRET": APP_SECRET,
        "INGEST_META_VERIFY_TOKEN": VERIFY_TOKEN,
        "INGEST_WORKER_PORT": str(free_port()),
        "LOG_REQUESTS": "false",
        "LOG_LEVEL": "WARNING",
    }
    if not idempotence:
        env["KAFKA_ENABLE_IDEMPOTENCE"] = "false"
    ingest_port, baseline_port = free_port(), free_port()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        # The baseline imports this file as `ingest`, so only it gets bench/ on its path.
        processes.append(
            spawn(uvicorn_args("ingest:baseline", baseline_port, "--app-dir", "bench"), env)
        )
        await wait_until_up(f"http://127.0.0.1:{baseline_port}/healthz")
        baseline_steps = await ramp("baseline", baseline_port, page, [])
        stop(processes.pop())

        processes.append(spawn(["-m", "ingest.worker"], env))
        processes.append(
            spawn(uvicorn_args("ingest.main:create_app", ingest_port, "--factory"), env)
        )
        await wait_until_up(f"http://127.0.0.1:{env['INGEST_WORKER_PORT']}/healthz")
        await wait_until_up(f"http://127.0.0.1:{ingest_port}/healthz")
        acked: list[str] = []
        ingest_steps = await ramp("ingest", ingest_port, page, acked)
        counts = await emitted(bootstrap, tenant, set(acked))
    finally:
        for process in reversed(processes):
            stop(process)
    top, floor = best(ingest_steps), best(baseline_steps)
    rate = top.rate if top else 0
    baseline_rate = floor.rate if floor else 0
    return {
        "rate": rate,
        "p50_ms": top.p50_ms if top else None,
        "p99_ms": top.p99_ms if top else None,
        "baseline_rate": baseline_rate,
        "baseline_p50_ms": floor.p50_ms if floor else None,
        "baseline_p99_ms": floor.p99_ms if floor else None,
        "ratio": round(rate / baseline_rate, 3) if baseline_rate else None,
        "acknowledged": len(acked),
        "lost": sum(1 for comment in set(acked) if comment not in counts),
        "duplicated": sum(1 for n in counts.values() if n > 1),
        "step_seconds": STEP_SECONDS,
        "p99_limit_ms": P99_LIMIT_MS,
        "steps": [{"target": "ingest", **s.as_dict()} for s in ingest_steps]
        + [{"target": "baseline", **s.as_dict()} for s in baseline_steps],
    }


def main() -> None:
    # Imported here: the baseline servers load this module without the repository on their path.
    from bench.servers import servers

    with servers(migrate=ALEMBIC_INIS) as found:
        result = uvloop.run(run(found.database_url, found.bootstrap, idempotence=found.idempotence))
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
