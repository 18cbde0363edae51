"""A day of posts on X accounts whose access tokens expire every two hours, compressed in time.

X's access tokens live two hours and each refresh rotates the refresh token. The day runs
BENCH_SCALE (360) times faster than a real one: a token lives 7200 / 360 = 20 s, the day lasts
86400 / 360 = 240 s, and the refresher's margin and poll, set through the workspace worker's
environment, are 900 / 360 = 2.5 s and 30 / 360 = 0.083 s. What answers in real time is not
compressed: the fake X's latency, the broker and the database; nor are the timeouts and leases
that bound them (the refresher's 15 s OAuth timeout and 60 s lease, the publisher's scheduler as
shipped). A day compressed 360 times asks the refresher for ACCOUNTS / 20 s refreshes a second:
5/s with 100 accounts, 50/s with 1,000 (docs/benchmarks.md).

Each run starts a fake X (bench/fake_x.py, its own process), a real `python -m
workspace.worker` (refresher, outbox relay) and two real publisher workers (`python -m
bench.publisher_on_fake_x`: `publisher.worker` with the X connector pointed at the fake). It
connects ACCOUNTS X accounts through the workspace's own `connections.service.store` (their
credentials sealed with the workspace's key, account.connected carrying them to the publisher
sealed with the event key), each with first tokens the fake issued expiring at random within the
first token lifetime, waits until the publisher holds them all, then inserts POSTS_PER_ACCOUNT
posts per account due at random over the day, starting LEAD_SECONDS later.

1. `expiring`: tokens live two simulated hours; the refresher renews them through the day.
2. `never_expiring`: the baseline, the same day with first tokens that outlive it (nothing is
   refreshed).

While the day runs, the workspace's `connected_account.version` and the publisher's
`account.workspace_version` are read every TRACK_SECONDS in one statement: the time from a
refresh's commit (its version first seen in the workspace) to the publisher holding it. The fake
says how long before expiry each refresh came, which token each post used, and what it refused.

Logs (at WARNING) in a temporary directory printed at the start. BENCH_SCALE, BENCH_ACCOUNTS,
BENCH_POSTS_PER_ACCOUNT, BENCH_BURST_POSTS (the publisher benchmark's spike, due within one real
minute from the middle of the day; 0 by default), BENCH_REFRESH_MARGIN_SECONDS (the compressed
margin) and BENCH_RUNS (`expiring,never_expiring`) change the scenario. Runs on
embedded servers unless DATABASE_URL / KAFKA_BOOTSTRAP are set. Prints a table and writes
bench/results/x_token_day.json: `make bench-x-tokens`, i.e. `python -m bench.x_token_day` from
the repository root.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from beacon_shared.db import create_engine, create_sessionmaker
from beacon_shared.embedded import free_port
from beacon_shared.logging import configure_logging
from beacon_shared.networks.oauth import GrantedAccount
from beacon_shared.testing.egress import LOCAL_NETWORKS
from bench.cpu import CpuMeter, broker_pids, postgres_pids
from bench.fake_mastodon import MEDIAN_MS, SIGMA, latency_quantile
from bench.ingest import stop, wait_until_up
from bench.publisher import (
    log_events,
    ms_stats,
    percentile,
    pid_of,
    progress,
    spawn,
)
from bench.servers import ROOT, Servers, code_version, servers
from publisher.authoring.models import PostStatus, post
from publisher.delivery.models import post_target
from publisher.delivery.status import TargetStatus
from workspace.config import Settings as WorkspaceSettings
from workspace.connections import service as connections

RESULTS = Path(__file__).parent / "results" / "x_token_day.json"
ALEMBIC_INIS = [
    ROOT / "shared" / "alembic.ini",
    ROOT / "services" / "workspace" / "alembic.ini",
    ROOT / "services" / "publisher" / "alembic.ini",
]
SCALE = float(os.environ.get("BENCH_SCALE", "360"))
TOKEN_SECONDS = 7200 / SCALE  # X's access tokens live two hours
DAY_SECONDS = 86400 / SCALE
SHIPPED_MARGIN, SHIPPED_POLL = 900.0, 30.0  # WORKSPACE_REFRESH_MARGIN/POLL_SECONDS' defaults
# Set below the hop and the call, it makes the refresher late on purpose: what a post meeting an
# expired token becomes.
MARGIN_SECONDS = float(os.environ.get("BENCH_REFRESH_MARGIN_SECONDS", SHIPPED_MARGIN / SCALE))
POLL_SECONDS = SHIPPED_POLL / SCALE
ACCOUNTS = int(os.environ.get("BENCH_ACCOUNTS", "100"))
POSTS_PER_ACCOUNT = int(os.environ.get("BENCH_POSTS_PER_ACCOUNT", "40"))  # per (simulated) day
# The publisher benchmark's spike (10,000 posts due within one real minute) dropped into the middle
# of the day, where refreshes run as everywhere else: it is not compressed.
BURST_POSTS = int(os.environ.get("BENCH_BURST_POSTS", "0"))
BURST_SECONDS = 60.0
BURST_START = DAY_SECONDS / 2  # seconds from the first due time to the spike's first
TENANTS = 10
LEAD_SECONDS = 10.0  # from the start of seeding to the first due time
# Whatever is still open this long after the last due time counts as unpublished.
FINISH_BOUND_SECONDS = 60.0
SAMPLE_SECONDS = 0.5
TRACK_SECONDS = 0.01
# The baseline's first tokens outlive the day many times over: nothing is due for refresh.
NEVER_SECONDS = 10 * 365 * 86400.0
WORKERS = 2
CLIENT_ID, CLIENT_SECRET = "bench-x-client", "bench-x-secret"
SCOPES = ("tweet.read", "tweet.write", "users.read", "offline.access")
SENTENCES = (
    "Our autumn collection is here: soft wool, warm colours and a fit made for long walks.",
    "Join us on Thursday at 6 pm for a live Q&A with the design team, bring your questions!",
    "Thank you for 10k followers. To celebrate, free shipping all week on every order.",
    "Behind the scenes: how we test every seam before a jacket leaves the workshop.",
    "New in the shop this morning, three colours and sizes from XS to XXL.",
)
RUNS = ("expiring", "never_expiring")
SELECTED_RUNS = os.environ.get("BENCH_RUNS", ",".join(RUNS)).split(",")


@dataclass(frozen=True)
class Keys:
    """A run's Fernet keys: the workspace's at rest, the platform's for events, the publisher's."""

    workspace: str = field(default_factory=lambda: Fernet.generate_key().decode())
    events: str = field(default_factory=lambda: Fernet.generate_key().decode())
    publisher: str = field(default_factory=lambda: Fernet.generate_key().decode())


def base_env(found: Servers) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": found.database_url,
        "KAFKA_BOOTSTRAP": found.bootstrap,
        "BIND_HOST": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        # The fake X listens on loopback over http: let the egress guard reach it.
        "EGRESS_ALLOW_HTTP": "true",
        "EGRESS_ALLOWED_NETWORKS": LOCAL_NETWORKS,
    }
    if not found.idempotence:
        env["KAFKA_ENABLE_IDEMPOTENCE"] = "false"
    return env


def workspace_env(found: Servers, keys: Keys, *, fake_url: str, port: int) -> dict[str, str]:
    """The refresher's margin and poll compressed like the day; the rest as shipped."""
    return {
        **base_env(found),
        "WORKSPACE_WORKER_PORT": str(port),
        "WORKSPACE_CREDENTIALS_KEYS": keys.workspace,
        "NETWORK_CREDENTIALS_KEYS": keys.events,
        "WORKSPACE_X_CLIENT_ID": CLIENT_ID,
        "WORKSPACE_X_CLIENT_SECRET": CLIENT_SECRET,
        "WORKSPACE_X_API_URL": fake_url,
        "WORKSPACE_REFRESH_MARGIN_SECONDS": str(MARGIN_SECONDS),
        "WORKSPACE_REFRESH_POLL_SECONDS": str(POLL_SECONDS),
    }


def publisher_env(
    found: Servers, keys: Keys, *, fake_url: str, worker_id: str, port: int
) -> dict[str, str]:
    return {
        **base_env(found),
        "PUBLISHER_WORKER_ID": worker_id,
        "PUBLISHER_WORKER_PORT": str(port),
        "PUBLISHER_CREDENTIALS_KEY": keys.publisher,
        "NETWORK_CREDENTIALS_KEYS": keys.events,
        "BENCH_X_API_URL": fake_url,
    }


def start_fake(port: int, log: Path) -> Any:
    """The fake X: one uvicorn process, its tokens and posts in memory."""
    return spawn(
        [
            "-m",
            "uvicorn",
            "bench.fake_x:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
            "--timeout-keep-alive",
            "30",
        ],
        {
            **os.environ,
            "FAKE_X_CLIENT_ID": CLIENT_ID,
            "FAKE_X_CLIENT_SECRET": CLIENT_SECRET,
            "FAKE_X_EXPIRES_IN": str(round(TOKEN_SECONDS)),
        },
        log,
    )


@dataclass(frozen=True)
class XAccount:
    account_id: uuid.UUID
    tenant_id: str
    brand_id: str
    user_id: str


async def connect_accounts(
    sessionmaker: async_sessionmaker[Any],
    settings: WorkspaceSettings,
    *,
    fake_url: str,
    tag: str,
    expiring: bool,
) -> list[XAccount]:
    """ACCOUNTS X accounts in the workspace's registry, with first tokens from the fake."""
    rng = random.Random(7)
    connected = []
    async with httpx.AsyncClient(timeout=10) as client:
        for n in range(ACCOUNTS):
            user_id = str(1_500_000_000 + n)
            # Connected at random in the two hours before: the first expiries spread over a
            # token's lifetime, from a little after the day has started.
            lives = LEAD_SECONDS + rng.uniform(0, TOKEN_SECONDS) if expiring else NEVER_SECONDS
            tokens = (
                await client.post(
                    f"{fake_url}/bench/grant", json={"user_id": user_id, "expires_in": lives}
                )
            ).json()
            tenant = f"bench-{tag}-{n % TENANTS}"
            brand = f"{tenant}-brand-{n % 3}"
            granted = GrantedAccount(
                kind="x_user",
                external_id=user_id,
                display_name=f"Brand {n}",
                handle=f"brand{n}",
                credentials={
                    "access_token": tokens["access_token"],
                    "refresh_token": tokens["refresh_token"],
                },
                scopes=SCOPES,
                access_expires_at=datetime.fromtimestamp(tokens["expires_at"], UTC),
            )
            async with sessionmaker() as session, session.begin():
                (row,) = await connections.store(
                    session,
                    settings=settings,
                    tenant_id=tenant,
                    brand_id=brand,
                    actor="user:bench",
                    granted=[granted],
                    now=datetime.now(UTC),
                )
            connected.append(XAccount(row.id, tenant, brand, user_id))
    return connected


async def publisher_holds(engine: AsyncEngine, tag: str) -> int:
    async with engine.connect() as conn:
        held = await conn.scalar(
            text(
                "SELECT count(*) FROM publisher.account WHERE tenant_id LIKE :t "
                "AND credentials_encrypted IS NOT NULL"
            ),
            {"t": f"bench-{tag}-%"},
        )
    return int(held or 0)


async def seed_posts(
    sessionmaker: async_sessionmaker[Any], accounts: Sequence[XAccount], *, first_due: datetime
) -> None:
    """POSTS_PER_ACCOUNT posts per account, one X target each, due at random over the day, and
    BURST_POSTS more due at random within BURST_SECONDS from the middle of the day."""
    rng = random.Random(5)
    now = datetime.now(UTC)
    posts, targets = [], []
    day_posts = len(accounts) * POSTS_PER_ACCOUNT
    for n in range(day_posts + BURST_POSTS):
        account = accounts[n % len(accounts)]
        offset = (
            rng.uniform(0, DAY_SECONDS)
            if n < day_posts
            else BURST_START + rng.uniform(0, BURST_SECONDS)
        )
        due = first_due + timedelta(seconds=offset)
        post_id = uuid.uuid4()
        posts.append(
            {
                "id": post_id,
                "tenant_id": account.tenant_id,
                "brand_id": account.brand_id,
                # Unique in its first words: reconciliation matches a post by its text.
                "text": f"Post {n} from brand {account.user_id}. {rng.choice(SENTENCES)}",
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
                "tenant_id": account.tenant_id,
                "account_id": str(account.account_id),
                "network": "x",
                "status": TargetStatus.scheduled.value,
                "due_at": due,
                "created_at": now,
                "updated_at": now,
            }
        )
    async with sessionmaker() as session, session.begin():
        for first in range(0, len(posts), 1000):
            await session.execute(insert(post), posts[first : first + 1000])
            await session.execute(insert(post_target), targets[first : first + 1000])


@dataclass
class Versions:
    """When each (account, version) was first seen in the workspace and in the publisher."""

    workspace: dict[tuple[str, int], float] = field(default_factory=dict)
    publisher: dict[tuple[str, int], float] = field(default_factory=dict)
    reads: int = 0

    def propagation_ms(self) -> list[float]:
        """Commit to publisher, per refresh (versions after the first)."""
        return [
            (self.publisher[key] - seen) * 1000
            for key, seen in self.workspace.items()
            if key[1] > 1 and key in self.publisher
        ]

    def not_reached(self) -> int:
        return sum(1 for key in self.workspace if key[1] > 1 and key not in self.publisher)


async def track(engine: AsyncEngine, tag: str, versions: Versions, done: asyncio.Event) -> None:
    """Read both sides' versions in one statement (one snapshot) every TRACK_SECONDS."""
    query = text(
        "SELECT 'w', id::text, version FROM workspace.connected_account WHERE tenant_id LIKE :t "
        "UNION ALL SELECT 'p', id::text, workspace_version FROM publisher.account "
        "WHERE tenant_id LIKE :t"
    )
    async with engine.connect() as conn:
        while not done.is_set():
            rows = (await conn.execute(query, {"t": f"bench-{tag}-%"})).all()
            await conn.rollback()
            seen = time.perf_counter()
            versions.reads += 1
            for side, account_id, version in rows:
                if version is None:
                    continue
                book = versions.workspace if side == "w" else versions.publisher
                book.setdefault((account_id, int(version)), seen)
            await asyncio.sleep(TRACK_SECONDS)


async def outcomes(engine: AsyncEngine, tag: str) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(
                post_target.c.id,
                post_target.c.status,
                post_target.c.external_id,
                post_target.c.published_at,
                post_target.c.error,
                post_target.c.failure_kind,
                post.c.scheduled_at,
            )
            .join(post, post.c.id == post_target.c.post_id)
            .where(post_target.c.tenant_id.like(f"bench-{tag}-%"))
        )
        return [dict(r._mapping) for r in rows]


async def account_states(engine: AsyncEngine, tag: str) -> dict[str, Any]:
    """Accounts by status on both sides, and the refreshes the workspace audited."""
    like = {"t": f"bench-{tag}-%"}
    async with engine.connect() as conn:
        workspace = (
            await conn.execute(
                text(
                    "SELECT status, count(*) FROM workspace.connected_account "
                    "WHERE tenant_id LIKE :t GROUP BY status"
                ),
                like,
            )
        ).all()
        publisher = (
            await conn.execute(
                text(
                    "SELECT status, count(*) FROM publisher.account "
                    "WHERE tenant_id LIKE :t GROUP BY status"
                ),
                like,
            )
        ).all()
        audited = (
            await conn.execute(
                text(
                    "SELECT action, count(*) FROM workspace.audit_entry "
                    "WHERE tenant_id LIKE :t GROUP BY action"
                ),
                like,
            )
        ).all()
    return {
        "workspace_accounts": {str(s): int(c) for s, c in workspace},
        "publisher_accounts": {str(s): int(c) for s, c in publisher},
        "workspace_audit": {str(a): int(c) for a, c in audited},
    }


async def retire(engine: AsyncEngine, tag: str) -> None:
    """Take the run's accounts out of the registry's refresh: a later run's refresher, with keys
    of its own, would otherwise claim them and fail to open their credentials."""
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE workspace.connected_account SET status = 'disconnected' "
                "WHERE tenant_id LIKE :t"
            ),
            {"t": f"bench-{tag}-%"},
        )


def lateness_ms(targets: Sequence[dict[str, Any]]) -> list[float]:
    return [
        (t["published_at"] - t["scheduled_at"]).total_seconds() * 1000
        for t in targets
        if t["status"] == TargetStatus.published.value
    ]


def in_burst(targets: Sequence[dict[str, Any]], *, first_due: datetime) -> list[dict[str, Any]]:
    start = first_due + timedelta(seconds=BURST_START)
    end = start + timedelta(seconds=BURST_SECONDS)
    return [t for t in targets if start <= t["scheduled_at"] <= end] if BURST_POSTS else []


def burst_figures(burst: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {
        "targets": len(burst),
        "published": sum(1 for t in burst if t["status"] == TargetStatus.published.value),
        "lateness": ms_stats(lateness_ms(burst)),
    }


def summarise(
    targets: Sequence[dict[str, Any]], report: dict[str, Any], *, first_due: datetime
) -> dict[str, Any]:
    """The run's figures, from the database and the fake."""
    published = [t for t in targets if t["status"] == TargetStatus.published.value]
    failed = [t for t in targets if t["status"] == TargetStatus.failed.value]
    late = lateness_ms(targets)
    posts = report["posts"]
    per_text = Counter((p["bench_user"], p["text"]) for p in posts)
    by_id = {p["id"] for p in posts}
    leads = [r["lead_ms"] for r in report["refreshes"]]
    superseded = [p["bench_superseded_ms"] for p in posts if p["bench_superseded_ms"] is not None]
    return {
        "targets": len(targets),
        "published": len(published),
        "failed": len(failed),
        "failed_by_kind": dict(Counter(str(t["failure_kind"]) for t in failed)),
        "failed_for_credentials": sum(1 for t in failed if t["failure_kind"] == "credentials"),
        "errors": dict(Counter(str(t["error"]) for t in targets if t["status"] != "published")),
        "unpublished_by_status": dict(
            Counter(t["status"] for t in targets if t["status"] != "published")
        ),
        "lateness": ms_stats(late),
        "late_over_1s": sum(1 for v in late if v > 1000),
        "burst": burst_figures(in_burst(targets, first_due=first_due)),
        "x_posts_created": len(posts),
        "duplicates": sum(1 for n in per_text.values() if n > 1),
        "published_but_not_on_x": sum(1 for t in published if t["external_id"] not in by_id),
        "refreshes": len(leads),
        "refresh_replays_refused": len(report["replays"]),
        "x_refused": report["refused"],
        # The expired tokens X refused: how many while a refresh had already issued the next
        # one (the post was sent with the old token, or the new one had not reached the
        # publisher), and how long after the next one was issued.
        "expired_401s": {
            "count": len(report["expired"]),
            "a_newer_token_issued": sum(
                1 for e in report["expired"] if e["newest_generation"] > e["generation"]
            ),
            "ms_since_newer_token": ms_stats(
                [
                    e["ms_since_newest"]
                    for e in report["expired"]
                    if e["newest_generation"] > e["generation"]
                ]
            ),
            "ms_since_expiry": ms_stats([e["ms_since_expiry"] for e in report["expired"]]),
        },
        "refresh_lead": {
            "count": len(leads),
            "min_ms": round(min(leads), 1) if leads else None,
            "p1_ms": percentile(leads, 1) if leads else None,
            "p50_ms": percentile(leads, 50) if leads else None,
            "max_ms": round(max(leads), 1) if leads else None,
        },
        # The refreshes that came with less than half the margin left, and when in the day.
        "refreshes_late_in_the_margin": [
            {
                "seconds_after_first_due": round(r["at"] - first_due.timestamp(), 1),
                "lead_ms": r["lead_ms"],
            }
            for r in sorted(report["refreshes"], key=lambda r: r["lead_ms"])
            if r["lead_ms"] < MARGIN_SECONDS * 500
        ][:30],
        "posts_with_a_replaced_token": {
            "count": len(superseded),
            "max_ms_after_replacement": round(max(superseded), 1) if superseded else None,
        },
        "x_delays_drawn": report["delays"],
    }


async def watch(
    engine: AsyncEngine,
    tenants: Sequence[str],
    *,
    first_due: datetime,
    meter: CpuMeter,
    processes: Sequence[tuple[str, Any]],
) -> float:
    """Follow the day until nothing is open after the last due time, or the bound passes."""
    meter.start()
    started = time.perf_counter()
    last_due = first_due + timedelta(seconds=DAY_SECONDS)
    deadline = last_due + timedelta(seconds=FINISH_BOUND_SECONDS)
    while True:
        _, still_open = await progress(engine, tenants)
        meter.sample()
        now = datetime.now(UTC)
        if (still_open == 0 and now > last_due) or now > deadline:
            break
        for name, process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited")
        await asyncio.sleep(SAMPLE_SECONDS)
    return time.perf_counter() - started


async def run_once(found: Servers, name: str, logs: Path) -> dict[str, Any]:
    """One simulated day on fresh accounts, a fresh fake X and fresh workers."""
    expiring = name == "expiring"
    tag = uuid.uuid4().hex[:6]
    tenants = [f"bench-{tag}-{n}" for n in range(TENANTS)]
    keys = Keys()
    engine = create_engine(found.database_url, pool_size=3)
    sessionmaker = create_sessionmaker(engine)
    settings = WorkspaceSettings(
        database_url=found.database_url,
        kafka_bootstrap=found.bootstrap,
        credentials_keys=SecretStr(keys.workspace),
        network_credentials_keys=SecretStr(keys.events),
    )
    fake_port = free_port()
    fake_url = f"http://127.0.0.1:{fake_port}"
    processes: list[tuple[str, Any]] = []
    versions, done = Versions(), asyncio.Event()
    tracker: asyncio.Task[None] | None = None
    try:
        fake = start_fake(fake_port, logs / f"{name}-fake-x.log")
        processes.append(("fake x", fake))
        await wait_until_up(f"{fake_url}/healthz")
        ports = [free_port() for _ in range(WORKERS + 1)]
        workspace = spawn(
            ["-m", "workspace.worker"],
            workspace_env(found, keys, fake_url=fake_url, port=ports[0]),
            logs / f"{name}-workspace-worker.log",
        )
        processes.append(("workspace worker", workspace))
        for n in range(WORKERS):
            env = publisher_env(
                found, keys, fake_url=fake_url, worker_id=f"bench-{tag}-{n}", port=ports[n + 1]
            )
            log = logs / f"{name}-publisher-worker-{n}.log"
            processes.append(
                (f"publisher worker {n}", spawn(["-m", "bench.publisher_on_fake_x"], env, log))
            )
        for port in ports:
            await wait_until_up(f"http://127.0.0.1:{port}/healthz", timeout=120)
        tracker = asyncio.create_task(track(engine, tag, versions, done))
        connect_started = time.perf_counter()
        accounts = await connect_accounts(
            sessionmaker, settings, fake_url=fake_url, tag=tag, expiring=expiring
        )
        while await publisher_holds(engine, tag) < ACCOUNTS:
            if time.perf_counter() - connect_started > 120:
                raise RuntimeError(f"the publisher did not get the accounts; see {logs}")
            await asyncio.sleep(0.1)
        connected_seconds = time.perf_counter() - connect_started
        first_due = datetime.now(UTC) + timedelta(seconds=LEAD_SECONDS)
        await seed_posts(sessionmaker, accounts, first_due=first_due)
        await asyncio.sleep((first_due - datetime.now(UTC)).total_seconds())
        groups: dict[str, Callable[[], Sequence[int]]] = {
            process_name: partial(pid_of, process) for process_name, process in processes
        }
        meter = CpuMeter(
            {
                **groups,
                "postgres": lambda: postgres_pids(found.database_url),
                "broker": lambda: broker_pids(found.bootstrap),
                "benchmark": lambda: [os.getpid()],
            }
        )
        seconds = await watch(
            engine, tenants, first_due=first_due, meter=meter, processes=processes
        )
        done.set()
        await tracker
        for process_name, process in processes:
            if process_name != "fake x":
                stop(process)  # nothing reaches the fake while it is read
        async with httpx.AsyncClient(timeout=30) as client:
            report = (await client.get(f"{fake_url}/bench/report")).json()
    finally:
        done.set()
        if tracker is not None and not tracker.done():
            tracker.cancel()
        for _, process in processes:
            stop(process)
    targets = await outcomes(engine, tag)
    states = await account_states(engine, tag)
    await retire(engine, tag)
    await engine.dispose()
    propagation = versions.propagation_ms()
    result = summarise(targets, report, first_due=first_due)
    result.update(
        {
            "accounts_connected_and_held_seconds": round(connected_seconds, 1),
            "seconds_from_first_due_to_last_open": round(seconds, 1),
            "commit_to_publisher": {
                **ms_stats(propagation),
                "not_reached": versions.not_reached(),
                "reads": versions.reads,
            },
            **states,
            "cpu_percent_of_one_core": meter.percent_of_one_core(),
            "log_events": {
                process_name: dict(log_events(logs / f"{name}-{file}.log"))
                for process_name, file in [
                    ("workspace worker", "workspace-worker"),
                    *[(f"publisher worker {n}", f"publisher-worker-{n}") for n in range(WORKERS)],
                ]
            },
        }
    )
    return result


def table(result: dict[str, Any]) -> str:
    lines = [
        f"{'run':<16}{'published':>10}{'failed':>7}{'reauth':>7}{'p50 ms':>8}{'p99 ms':>8}"
        f"{'max ms':>8}{'refreshes':>10}{'replays':>8}{'lead min/p50 s':>16}"
        f"{'to publisher p50/p99 ms':>25}{'dups':>5}"
    ]
    for name, run in result["runs"].items():
        late, lead, hop = run["lateness"], run["refresh_lead"], run["commit_to_publisher"]
        reauth = run["publisher_accounts"].get("needs_reauth", 0) + run["workspace_accounts"].get(
            "needs_reauth", 0
        )
        leads = f"{lead['min_ms'] / 1000:.2f}/{lead['p50_ms'] / 1000:.2f}" if lead["count"] else "-"
        hops = f"{hop['p50_ms']}/{hop['p99_ms']}" if hop["count"] else "-"
        lines.append(
            f"{name:<16}{run['published']:>10}{run['failed']:>7}{reauth:>7}"
            f"{late['p50_ms']!s:>8}{late['p99_ms']!s:>8}{late['max_ms']!s:>8}"
            f"{run['refreshes']:>10}{run['refresh_replays_refused']:>8}{leads:>16}{hops:>25}"
            f"{run['duplicates']:>5}"
        )
    return "\n".join(lines)


async def run_all(found: Servers) -> dict[str, Any]:
    if abs(TOKEN_SECONDS - round(TOKEN_SECONDS)) > 1e-9:
        raise ValueError("BENCH_SCALE must divide 7200: X's expires_in is whole seconds")
    logs = Path(tempfile.mkdtemp(prefix="beacon-bench-x-tokens-"))
    print(f"worker and fake X logs in {logs}", flush=True)
    runs = {}
    for name in RUNS:
        if name in SELECTED_RUNS:
            runs[name] = await run_once(found, name, logs)
            print(json.dumps({name: runs[name]["lateness"]}), flush=True)
    return {
        "date": datetime.now(UTC).isoformat(timespec="minutes"),
        "cores": os.cpu_count(),
        "code": code_version(),
        "scale": SCALE,
        "token_seconds": TOKEN_SECONDS,
        "day_seconds": DAY_SECONDS,
        "refresh_margin_seconds": MARGIN_SECONDS,
        "refresh_poll_seconds": POLL_SECONDS,
        # As shipped unless set in the environment, which the workspace worker inherits.
        "refresh_batch_size": int(
            os.environ.get(
                "WORKSPACE_REFRESH_BATCH_SIZE",
                WorkspaceSettings.model_fields["refresh_batch_size"].default,
            )
        ),
        "accounts": ACCOUNTS,
        "posts": ACCOUNTS * POSTS_PER_ACCOUNT + BURST_POSTS,
        "offered_posts_per_s": round(ACCOUNTS * POSTS_PER_ACCOUNT / DAY_SECONDS, 1),
        "burst_posts": BURST_POSTS,
        "burst_seconds": BURST_SECONDS,
        "offered_refreshes_per_s": round(ACCOUNTS / TOKEN_SECONDS, 1),
        "publisher_workers": WORKERS,
        "fake_latency": {
            "distribution": "lognormal",
            "median_ms": MEDIAN_MS,
            "sigma": SIGMA,
            "p99_ms": round(latency_quantile(0.99)),
        },
        "fake_expires_in": round(TOKEN_SECONDS),
        "runs": runs,
    }


def main() -> None:
    configure_logging(fmt="console", level="WARNING")
    with servers(migrate=ALEMBIC_INIS) as found:
        result = asyncio.run(run_all(found))
    RESULTS.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(table(result))
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
