"""Publisher benchmark: 10,000 posts due in one minute across 1,000 Mastodon accounts.

Each run starts a fake Mastodon instance with a network's latency (bench/fake_mastodon.py, its
own process), connects 1,000 accounts on it through the accounts service, starts two
`python -m publisher.worker` processes (the real worker: scheduler, webhook dispatcher and
outbox relay) and, once they are up, inserts 10,000 scheduled posts of one target each (10 per
account) due at random over one minute starting 10 s later. Lateness is the target's
`published_at` minus its post's `scheduled_at`, read from the database; duplicates are counted
from the statuses the fake created.

1. `normal`: the worker's settings as shipped (batch 50, poll 0.25 s, lease 60 s, at most 200
   publishes in flight per worker).
2. `worker_killed`: the same with a 5 s lease (and a 4 s publish timeout, which must stay below
   it); once half the posts are out, the first worker is killed (SIGKILL) at a moment it holds
   claims. Those come back through the expired lease and reconciliation against the account's
   statuses; their lateness, and that of the posts due after the kill, are reported apart.

Worker logs (at WARNING) and the instance's go to a temporary directory printed at the start.
BENCH_POSTS, BENCH_ACCOUNTS, BENCH_SPREAD_SECONDS, BENCH_BATCH_SIZE, BENCH_POLL_SECONDS,
BENCH_FINISH_BOUND_SECONDS and BENCH_RUNS (`normal,worker_killed`) change the scenario.

Runs on embedded servers unless DATABASE_URL / KAFKA_BOOTSTRAP are set. Prints a table and
writes bench/results/publisher.json. `make bench-publisher`, i.e. `python -m bench.publisher`
from the repository root: run as a script, bench/ would come first on the path and this file
would shadow the publisher service's package.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from beacon_shared.contracts.workspace import AccountKind
from beacon_shared.crypto import SecretBox
from beacon_shared.db import create_engine, create_sessionmaker
from beacon_shared.embedded import free_port
from beacon_shared.logging import configure_logging
from beacon_shared.network_credentials import replica_box
from beacon_shared.testing.egress import LOCAL_NETWORKS
from beacon_shared.testing.registry import account_connected, registry_account
from bench import fake_mastodon
from bench.cpu import CpuMeter, broker_pids, postgres_pids
from bench.ingest import stop, wait_until_up
from bench.servers import ROOT, Servers, code_version, servers
from publisher.accounts.handlers import AccountHandlers, AccountKeys
from publisher.authoring.models import PostStatus, post
from publisher.config import Settings
from publisher.delivery.models import post_target
from publisher.delivery.status import TargetStatus

RESULTS = Path(__file__).parent / "results" / "publisher.json"
ALEMBIC_INIS = [ROOT / "shared" / "alembic.ini", ROOT / "services" / "publisher" / "alembic.ini"]
POSTS = int(os.environ.get("BENCH_POSTS", "10000"))
ACCOUNTS = int(os.environ.get("BENCH_ACCOUNTS", "1000"))
TENANTS = 20  # the accounts belong to 20 brands' tenants; the scheduler serves them all
SPREAD_SECONDS = float(os.environ.get("BENCH_SPREAD_SECONDS", "60"))
LEAD_SECONDS = 10.0  # from the start of seeding to the first due time
WORKERS = 2
BATCH_SIZE = int(os.environ.get("BENCH_BATCH_SIZE", "50"))  # the shipped default
POLL_SECONDS = float(os.environ.get("BENCH_POLL_SECONDS", "0.25"))  # the shipped default
KILL_LEASE_SECONDS = 5.0
# The publish timeout must stay below the lease; a 4 s answer is ten times the fake's p99.
KILL_PUBLISH_TIMEOUT_SECONDS = 4.0
# After the last due time, whatever is still open by then counts as unpublished. Reconciliation
# settles an unfound post after 120 s (the shipped setting), so the bound leaves room for it.
FINISH_BOUND_SECONDS = float(os.environ.get("BENCH_FINISH_BOUND_SECONDS", "240"))
SAMPLE_SECONDS = 0.25
# Nothing published this long after the first due time: the workers are failing, not slow.
FIRST_PUBLISH_SECONDS = 30.0
# A status the killed worker had sent lands on the instance within this of the kill; a resend
# comes no sooner than the lease's end.
IN_FLIGHT = timedelta(seconds=2)
OPEN = (
    TargetStatus.scheduled.value,
    TargetStatus.publishing.value,
    TargetStatus.unconfirmed.value,
)
SENTENCES = (
    "Our autumn collection is here: soft wool, warm colours and a fit made for long walks.",
    "Join us on Thursday at 6 pm for a live Q&A with the design team, bring your questions!",
    "Thank you for 10k followers. To celebrate, free shipping all week on every order.",
    "Behind the scenes: how we test every seam before a jacket leaves the workshop.",
    "New in the shop this morning, three colours and sizes from XS to XXL.",
)


@dataclass(frozen=True)
class RunSpec:
    """One run: its name, whether a worker is killed, and the workers' lease and timeout."""

    name: str
    kill: bool
    lease_seconds: float | None = None  # None: as shipped (60 s)
    publish_timeout_seconds: float | None = None  # None: as shipped (30 s)


RUNS = (
    RunSpec("normal", kill=False),
    RunSpec(
        "worker_killed",
        kill=True,
        lease_seconds=KILL_LEASE_SECONDS,
        publish_timeout_seconds=KILL_PUBLISH_TIMEOUT_SECONDS,
    ),
)
SELECTED_RUNS = os.environ.get("BENCH_RUNS", "normal,worker_killed").split(",")


@dataclass(frozen=True)
class Worker:
    """A running `python -m publisher.worker`: its id in `claimed_by`, health port and log."""

    worker_id: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A process of its own session (so its group can be stopped), its output in `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def pid_of(process: subprocess.Popen[bytes]) -> list[int]:
    return [process.pid]


def worker_env(
    found: Servers, spec: RunSpec, *, key: str, worker_id: str, port: int
) -> dict[str, str]:
    """The environment `make up` gives the worker; logs cut to warnings, as in the other benches."""
    env = {
        **os.environ,
        "DATABASE_URL": found.database_url,
        "KAFKA_BOOTSTRAP": found.bootstrap,
        "BIND_HOST": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",  # every line logged reaches the file, even from a killed worker
        # The platform's key, under which the publisher keeps its accounts' credentials.
        "NETWORK_CREDENTIALS_KEYS": key,
        "PUBLISHER_WORKER_ID": worker_id,
        "PUBLISHER_WORKER_PORT": str(port),
        "PUBLISHER_SCHEDULER_BATCH_SIZE": str(BATCH_SIZE),
        "PUBLISHER_SCHEDULER_POLL_SECONDS": str(POLL_SECONDS),
        # The fake Mastodon listens on loopback over http: let the egress guard reach it.
        "EGRESS_ALLOW_HTTP": "true",
        "EGRESS_ALLOWED_NETWORKS": LOCAL_NETWORKS,
    }
    if spec.lease_seconds is not None:
        env["PUBLISHER_SCHEDULER_LEASE_SECONDS"] = str(spec.lease_seconds)
    if spec.publish_timeout_seconds is not None:
        env["PUBLISHER_PUBLISH_TIMEOUT_SECONDS"] = str(spec.publish_timeout_seconds)
    if not found.idempotence:
        env["KAFKA_ENABLE_IDEMPOTENCE"] = "false"
    return env


async def connect_accounts(
    sessionmaker: async_sessionmaker[Any],
    *,
    tenants: Sequence[str],
    instance_url: str,
    box: SecretBox,
) -> list[tuple[uuid.UUID, str]]:
    """ACCOUNTS Mastodon accounts on the fake instance, connected in the workspace's registry
    and kept by the publisher's account handlers as its worker keeps them: their ids and
    tenants."""
    event_key = SecretStr(Fernet.generate_key().decode())
    handlers = AccountHandlers(AccountKeys(events=event_key, publisher=box))
    connected = []
    async with sessionmaker() as session, session.begin():
        for n in range(ACCOUNTS):
            external_id = str(109_000_000 + n)
            tenant = tenants[n % len(tenants)]
            account = registry_account(
                AccountKind.mastodon,
                brand_id=tenant,
                external_id=external_id,
                handle=f"brand{n}",
                instance_url=instance_url,
            )
            credentials = {
                "base_url": instance_url,
                "access_token": f"{fake_mastodon.TOKEN_PREFIX}{external_id}",
            }
            await handlers.connected(
                session,
                account_connected(
                    account, tenant_id=tenant, event_keys=event_key, credentials=credentials
                ),
            )
            connected.append((account.account_id, tenant))
    return connected


async def seed_posts(
    sessionmaker: async_sessionmaker[Any],
    connected: Sequence[tuple[uuid.UUID, str]],
    *,
    first_due: datetime,
) -> None:
    """POSTS scheduled posts, one target each, due at random within SPREAD_SECONDS."""
    rng = random.Random(5)
    now = datetime.now(UTC)
    posts, targets = [], []
    for n in range(POSTS):
        account_id, tenant = connected[n % len(connected)]
        due = first_due + timedelta(seconds=rng.uniform(0, SPREAD_SECONDS))
        post_id = uuid.uuid4()
        posts.append(
            {
                "id": post_id,
                "tenant_id": tenant,
                "brand_id": tenant,
                # Unique in its first words: reconciliation matches a status by its text.
                "text": f"Post {n} from brand{n % len(connected)}. {rng.choice(SENTENCES)}",
                "status": PostStatus.scheduled.value,
                "scheduled_at": due,
                "created_at": now,
                "updated_at": now,
            }
        )
        targets.append(
            {
                "id": uuid.uuid4(),
                "post_id": post_id,
                "tenant_id": tenant,
                "account_id": str(account_id),
                "network": "mastodon",
                "status": TargetStatus.scheduled.value,
                "due_at": due,
                "created_at": now,
                "updated_at": now,
            }
        )
    async with sessionmaker() as session, session.begin():
        for first in range(0, POSTS, 1000):
            await session.execute(insert(post), posts[first : first + 1000])
            await session.execute(insert(post_target), targets[first : first + 1000])


async def progress(engine: AsyncEngine, tenants: Sequence[str]) -> tuple[int, int]:
    """(published, still open) targets of the run."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(
                    func.count().filter(post_target.c.status == TargetStatus.published.value),
                    func.count().filter(post_target.c.status.in_(OPEN)),
                ).where(post_target.c.tenant_id.in_(tenants))
            )
        ).one()
    return int(row[0]), int(row[1])


async def held_by(engine: AsyncEngine, worker_id: str) -> set[uuid.UUID]:
    """The open targets `worker_id` holds a claim on."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(post_target.c.id).where(
                post_target.c.claimed_by == worker_id, post_target.c.status.in_(OPEN)
            )
        )
        return set(rows.scalars())


async def published_among(engine: AsyncEngine, ids: set[uuid.UUID]) -> list[uuid.UUID]:
    """Which of `ids` are published by now."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(post_target.c.id).where(
                post_target.c.id.in_(ids),
                post_target.c.status == TargetStatus.published.value,
            )
        )
        return list(rows.scalars())


async def until_holding(engine: AsyncEngine, worker_id: str, *, timeout: float = 5.0) -> None:
    """Return as soon as `worker_id` holds a claim, or after `timeout`."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        async with engine.connect() as conn:
            holding = await conn.scalar(
                select(func.count()).where(
                    post_target.c.claimed_by == worker_id,
                    post_target.c.status == TargetStatus.publishing.value,
                )
            )
        if holding:
            return
        await asyncio.sleep(0.01)


async def outcomes(engine: AsyncEngine, tenants: Sequence[str]) -> list[dict[str, Any]]:
    """Every target of the run with its post's due time and text."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(
                post_target.c.id,
                post_target.c.status,
                post_target.c.attempts,
                post_target.c.external_id,
                post_target.c.published_at,
                post_target.c.updated_at,
                post_target.c.error,
                post.c.scheduled_at,
            )
            .join(post, post.c.id == post_target.c.post_id)
            .where(post_target.c.tenant_id.in_(tenants))
        )
        return [dict(r._mapping) for r in rows]


def log_events(log: Path) -> Counter[str]:
    """The warning events a worker logged, by name."""
    events: Counter[str] = Counter()
    for line in log.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and "event" in entry:
            events[str(entry["event"])] += 1
    return events


def percentile(values: Sequence[float], q: int) -> float:
    """The q-th percentile, interpolated between samples (never beyond the largest)."""
    if len(values) < 2:
        return round(values[0], 2) if values else 0.0
    return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1], 2)


def ms_stats(values: Sequence[float]) -> dict[str, float | int | None]:
    """Count, p50, p99 and max of `values` (ms)."""
    if not values:
        return {"count": 0, "p50_ms": None, "p99_ms": None, "max_ms": None}
    return {
        "count": len(values),
        "p50_ms": percentile(list(values), 50),
        "p99_ms": percentile(list(values), 99),
        "max_ms": round(max(values), 1),
    }


def peak_per_second(times: Sequence[datetime]) -> int:
    """The most publishes in any whole second."""
    return max(Counter(int(t.timestamp()) for t in times).values(), default=0)


@dataclass
class Watched:
    """What happened while the targets fell due: timings, and the kill if there was one."""

    started: float
    finished: float = 0.0
    killed: Worker | None = None
    killed_at: float = 0.0
    killed_wall: datetime | None = None
    published_when_killed: int = 0
    held: set[uuid.UUID] = field(default_factory=set)
    # When each held target was first seen published (within SAMPLE_SECONDS): the row's own
    # times cannot say, a reconciled target takes the status' creation time as published_at.
    held_recorded: dict[uuid.UUID, datetime] = field(default_factory=dict)


async def watch(
    engine: AsyncEngine,
    spec: RunSpec,
    *,
    tenants: Sequence[str],
    workers: Sequence[Worker],
    meter: CpuMeter,
) -> Watched:
    """Follow the run from the first due time until nothing is open or the bound passes; in a
    kill run, SIGKILL the first worker once half the posts are out, while it holds claims."""
    watched = Watched(started=time.perf_counter())
    meter.start()
    deadline = watched.started + SPREAD_SECONDS + FINISH_BOUND_SECONDS
    while True:
        published, still_open = await progress(engine, tenants)
        meter.sample()
        if spec.kill and watched.killed is None and published >= POSTS // 2:
            victim = workers[0]
            await until_holding(engine, victim.worker_id)
            meter.sample()  # its last reading: a dead process has none
            os.killpg(victim.process.pid, signal.SIGKILL)
            victim.process.wait()
            watched.killed, watched.killed_at = victim, time.perf_counter()
            watched.killed_wall, watched.published_when_killed = datetime.now(UTC), published
            await asyncio.sleep(0.2)  # a commit it sent before dying lands meanwhile
            watched.held = await held_by(engine, victim.worker_id)
        if watched.held - watched.held_recorded.keys():
            seen = datetime.now(UTC)
            for target_id in await published_among(
                engine, watched.held - set(watched.held_recorded)
            ):
                watched.held_recorded[target_id] = seen
        if still_open == 0 or time.perf_counter() > deadline:
            break
        if not published and time.perf_counter() - watched.started > FIRST_PUBLISH_SECONDS:
            logs = ", ".join(str(w.log) for w in workers)
            raise RuntimeError(f"nothing published {FIRST_PUBLISH_SECONDS:g} s in; see {logs}")
        for worker in workers:
            if worker is not watched.killed and worker.process.poll() is not None:
                raise RuntimeError(f"{worker.worker_id} exited; see {worker.log}")
        await asyncio.sleep(SAMPLE_SECONDS)
    watched.finished = time.perf_counter()
    return watched


def start_fake(port: int, log: Path) -> subprocess.Popen[bytes]:
    """The fake instance: one uvicorn process, its statuses in memory."""
    return spawn(
        [
            "-m",
            "uvicorn",
            "bench.fake_mastodon:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
            # Longer than the client's 5 s keep-alive: the client closes an idle connection
            # first, never the server under a request the client is sending.
            "--timeout-keep-alive",
            "30",
        ],
        {**os.environ},
        log,
    )


async def run_once(found: Servers, spec: RunSpec, logs: Path) -> dict[str, Any]:
    """One run on fresh accounts, a fresh fake instance and fresh workers."""
    tag = uuid.uuid4().hex[:6]
    tenants = [f"bench-{tag}-{n}" for n in range(TENANTS)]
    key = Fernet.generate_key().decode()
    box = replica_box(SecretStr(key))
    engine = create_engine(found.database_url, pool_size=2)
    sessionmaker = create_sessionmaker(engine)
    fake_port = free_port()
    fake_url = f"http://127.0.0.1:{fake_port}"
    fake = start_fake(fake_port, logs / f"{spec.name}-fake.log")
    workers: list[Worker] = []
    try:
        await wait_until_up(f"{fake_url}/healthz")
        connected = await connect_accounts(
            sessionmaker, tenants=tenants, instance_url=fake_url, box=box
        )
        for n in range(WORKERS):
            worker_id, port = f"bench-{tag}-worker-{n}", free_port()
            log = logs / f"{spec.name}-worker-{n}.log"
            env = worker_env(found, spec, key=key, worker_id=worker_id, port=port)
            process = spawn(["-m", "publisher.worker"], env, log)
            workers.append(Worker(worker_id, port, process, log))
        for worker in workers:
            await wait_until_up(f"http://127.0.0.1:{worker.port}/healthz", timeout=120)
        first_due = datetime.now(UTC) + timedelta(seconds=LEAD_SECONDS)
        await seed_posts(sessionmaker, connected, first_due=first_due)
        if datetime.now(UTC) > first_due:
            raise RuntimeError("seeding took longer than the lead: posts fell due while seeded")
        await asyncio.sleep((first_due - datetime.now(UTC)).total_seconds())
        groups: dict[str, Callable[[], Sequence[int]]] = {
            f"worker-{n}": partial(pid_of, w.process) for n, w in enumerate(workers)
        }
        meter = CpuMeter(
            {
                **groups,
                "fake instance": lambda: [fake.pid],
                "postgres": lambda: postgres_pids(found.database_url),
                "broker": lambda: broker_pids(found.bootstrap),
                "benchmark": lambda: [os.getpid()],
            }
        )
        watched = await watch(engine, spec, tenants=tenants, workers=workers, meter=meter)
        await asyncio.sleep(1.0)  # a trailing resend would reach the instance now
        for worker in workers:
            stop(worker.process)  # nothing reaches the instance while it is read
        async with httpx.AsyncClient(timeout=30) as client:
            statuses = (await client.get(f"{fake_url}/bench/statuses")).json()
            repeats: dict[str, int] = (await client.get(f"{fake_url}/bench/repeats")).json()
            delays = (await client.get(f"{fake_url}/bench/delays")).json()
    finally:
        for worker in workers:
            stop(worker.process)
        stop(fake)
    targets = await outcomes(engine, tenants)
    await engine.dispose()
    result = summarise(targets, statuses, repeats)
    result.update(
        {
            "lease_seconds": spec.lease_seconds or shipped("scheduler_lease_seconds"),
            "publish_timeout_seconds": spec.publish_timeout_seconds
            or shipped("publish_timeout_seconds"),
            "offered_per_s": round(POSTS / SPREAD_SECONDS, 1),
            "seconds_from_first_due_to_last_open": round(watched.finished - watched.started, 1),
            "instance_delays_drawn": delays,
            "cpu_percent_of_one_core": meter.percent_of_one_core(),
            "worker_log_events": {w.worker_id: dict(log_events(w.log)) for w in workers},
        }
    )
    if watched.killed is not None and watched.killed_wall is not None:
        result["killed"] = {
            "worker_id": watched.killed.worker_id,
            "at_seconds_after_first_due": round(watched.killed_at - watched.started, 1),
            "published_when_killed": watched.published_when_killed,
            **held_outcomes(
                targets,
                statuses,
                repeats,
                held=watched.held,
                killed_at=watched.killed_wall,
                recorded=watched.held_recorded,
            ),
        }
        others = [t for t in targets if t["id"] not in watched.held]
        result["others_lateness"] = ms_stats(lateness_ms(others))
        # Due once one worker was left to publish them.
        result["due_after_kill_lateness"] = ms_stats(
            lateness_ms([t for t in others if t["scheduled_at"] > watched.killed_wall])
        )
    return result


def lateness_ms(targets: Sequence[dict[str, Any]]) -> list[float]:
    """published_at minus the post's due time, for the published targets."""
    return [
        (t["published_at"] - t["scheduled_at"]).total_seconds() * 1000
        for t in targets
        if t["status"] == TargetStatus.published.value
    ]


def summarise(
    targets: Sequence[dict[str, Any]],
    statuses: Sequence[dict[str, Any]],
    repeats: dict[str, int],
) -> dict[str, Any]:
    """Lateness, rate, duplicates and what is left, from the database and the instance."""
    published = [t for t in targets if t["status"] == TargetStatus.published.value]
    late = lateness_ms(targets)
    per_key = Counter(str(s["bench_key"]) for s in statuses)
    per_text = Counter((s["bench_account"], s["content"]) for s in statuses)
    by_key = {str(s["bench_key"]): str(s["id"]) for s in statuses}
    times = [t["published_at"] for t in published]
    span = (max(times) - min(t["scheduled_at"] for t in targets)).total_seconds() if times else 0
    return {
        "targets": len(targets),
        "published": len(published),
        "unpublished": len(targets) - len(published),
        "unpublished_by_status": dict(
            Counter(t["status"] for t in targets if t["status"] != "published")
        ),
        "errors": dict(Counter(str(t["error"]) for t in targets if t["status"] != "published")),
        "lateness": ms_stats(late),
        "late_over_1s": sum(1 for v in late if v > 1000),
        # From the first due time to the last publish: below the offered rate, a backlog grew.
        "publishes_per_s": round(len(published) / span, 1) if span else None,
        "peak_publishes_in_one_second": peak_per_second(times),
        "statuses_created": len(statuses),
        "duplicates": sum(1 for n in per_key.values() if n > 1),
        "duplicate_texts": sum(1 for n in per_text.values() if n > 1),
        # Sent again under the same Idempotency-Key and answered with the first status.
        "targets_resent": sum(1 for k in repeats if k in by_key),
        "resends_answered_by_key": sum(repeats.values()),
        # The id recorded is the status the instance holds for that target's key.
        "recorded_id_mismatches": sum(
            1 for t in published if by_key.get(str(t["id"])) != t["external_id"]
        ),
        "published_but_not_on_instance": sum(1 for t in published if str(t["id"]) not in by_key),
    }


def held_outcomes(
    targets: Sequence[dict[str, Any]],
    statuses: Sequence[dict[str, Any]],
    repeats: dict[str, int],
    *,
    held: set[uuid.UUID],
    killed_at: datetime,
    recorded: Mapping[uuid.UUID, datetime],
) -> dict[str, Any]:
    """What became of the targets the killed worker held: whether it had sent them, how they
    were confirmed, their lateness and when the database learned of them."""
    created = {
        str(s["bench_key"]): datetime.fromisoformat(s["created_at"].replace("Z", "+00:00"))
        for s in statuses
    }
    mine = [t for t in targets if t["id"] in held]
    published = [t for t in mine if t["status"] == TargetStatus.published.value]
    # A request in flight when its worker died still lands within the instance's delay.
    sent = {
        t["id"]
        for t in mine
        if str(t["id"]) in created and created[str(t["id"])] < killed_at + IN_FLIGHT
    }
    return {
        "held": len(held),
        "held_published": len(published),
        "held_sent_before_kill": len(sent),
        # published_at is then the status' own creation time, as the instance lists it.
        "held_found_by_reconciliation": sum(
            1 for t in published if t["published_at"] == created.get(str(t["id"]))
        ),
        "held_resent_under_same_key": sum(1 for t in mine if str(t["id"]) in repeats),
        "held_lateness": ms_stats(lateness_ms(mine)),
        # Sent before the kill: out on time, confirmed once the lease ran out. Not sent: out once
        # reconciliation has looked long enough (the settle time) to be sure they are not.
        "held_sent_lateness": ms_stats(lateness_ms([t for t in mine if t["id"] in sent])),
        "held_unsent_lateness": ms_stats(lateness_ms([t for t in mine if t["id"] not in sent])),
        # When the database had them published, after the kill (sampled every SAMPLE_SECONDS).
        "held_recorded_after_kill": ms_stats(
            [(at - killed_at).total_seconds() * 1000 for at in recorded.values()]
        ),
    }


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def table(result: dict[str, Any]) -> str:
    """The figures that matter, one line per run."""
    lines = [
        f"{'run':<14}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'>1 s':>6}{'pub/s':>7}{'dups':>5}"
        f"{'resent':>7}{'left':>5}  the killed worker's claims"
    ]
    for name, run in result["runs"].items():
        late = run["lateness"]
        killed = run.get("killed")
        held = (
            f"{killed['held']}: {killed['held_sent_before_kill']} sent before the kill "
            f"(max {killed['held_sent_lateness']['max_ms']} ms late), "
            f"{killed['held'] - killed['held_sent_before_kill']} not sent "
            f"(max {killed['held_unsent_lateness']['max_ms']} ms late)"
            if killed
            else "-"
        )
        lines.append(
            f"{name:<14}{late['p50_ms']!s:>9}{late['p99_ms']!s:>9}{late['max_ms']!s:>9}"
            f"{run['late_over_1s']:>6}{run['publishes_per_s']!s:>7}{run['duplicates']:>5}"
            f"{run['targets_resent']:>7}{run['unpublished']:>5}  {held}"
        )
    return "\n".join(lines)


async def run_all(found: Servers) -> dict[str, Any]:
    logs = Path(tempfile.mkdtemp(prefix="beacon-bench-publisher-"))
    print(f"worker and instance logs in {logs}", flush=True)
    runs = {}
    for spec in RUNS:
        if spec.name not in SELECTED_RUNS:
            continue
        runs[spec.name] = await run_once(found, spec, logs)
        print(json.dumps({spec.name: runs[spec.name]["lateness"]}), flush=True)
    return {
        "date": datetime.now(UTC).date().isoformat(),
        "cores": os.cpu_count(),
        "posts": POSTS,
        "accounts": ACCOUNTS,
        "spread_seconds": SPREAD_SECONDS,
        "workers": WORKERS,
        "worker": "python -m publisher.worker",
        "batch_size": BATCH_SIZE,
        "poll_seconds": POLL_SECONDS,
        "max_in_flight": shipped("scheduler_max_in_flight"),
        "fake_latency": {
            "distribution": "lognormal",
            "median_ms": fake_mastodon.MEDIAN_MS,
            "sigma": fake_mastodon.SIGMA,
            "p90_ms": round(fake_mastodon.latency_quantile(0.90)),
            "p99_ms": round(fake_mastodon.latency_quantile(0.99)),
        },
        "code": code_version(),
        "runs": runs,
    }


def shipped(setting: str) -> Any:
    """The publisher's default for `setting`."""
    return Settings.model_fields[setting].default


def main() -> None:
    configure_logging(fmt="console", level="WARNING")
    with servers(migrate=ALEMBIC_INIS) as found:
        result = asyncio.run(run_all(found))
    RESULTS.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(table(result))
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
