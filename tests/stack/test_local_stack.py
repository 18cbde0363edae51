"""`make up`'s runner on real embedded servers: every process ready, a working key, nothing left."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import queue
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import httpx
import psutil
import pytest
from aiokafka import AIOKafkaConsumer
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from beacon_shared.crypto import SecretBox
from beacon_shared.embedded import start_postgres
from beacon_shared.embedded_oidc import sign_in

ROOT = Path(__file__).resolve().parents[2]
LOCAL = ROOT / "deploy" / "local"
if str(LOCAL) not in sys.path:
    sys.path.insert(0, str(LOCAL))

from servers import DATABASE, alembic_inis, migrate  # noqa: E402  (the runner's own steps)

T = TypeVar("T")

# With the suite in several test workers, stacks may run at once: each has its own data folder
# and port range (`_free_offset`), and looks only at its own processes.
pytestmark = pytest.mark.slow

# Each service's API and worker ports before the offset.
PORTS = {
    "ingest": (8001, 9001),
    "moderation": (8002, 9002),
    "publisher": (8003, 9003),
    "analytics": (8004, 9004),
    "workspace": (8005, 9005),
    "inbox": (8006, 9006),
}
OIDC_PORT = 8010  # the local OpenID Connect issuer
# Only the first test starts every service. The others are about the runner's supervision, which
# treats every child alike, so they start the services they need: each process takes seconds of
# CPU to start, and several stacks may start at once.
SUPERVISED = ("ingest", "inbox")
RELAY = ("ingest", "analytics")  # a comment ingest relays and analytics handles
READY_LINE = "Beacon is ready"
KEY_LINE = re.compile(r"demo API key .*: (bk_\S+)")
DATABASE_LINE = re.compile(r"database: (\S+)")
BROKER_LINE = re.compile(r"broker at (\S+)")
SECRET = "local-token-0f9c2e"  # a credential given to the stack, to look for everywhere
# The runner's own variables and the servers it would reuse instead of starting embedded ones.
INHERITED_NOT = (
    "DATABASE_URL",
    "KAFKA_BOOTSTRAP",
    "BEACON_SERVICES",
    "BEACON_DATA_DIR",
    "OIDC_ISSUER",
    "BEACON_OIDC_PORT",
)


@dataclass
class RunningStack:
    """A `python deploy/local/stack.py` process and what it printed."""

    process: subprocess.Popen[str]
    offset: int
    data_dir: Path
    services: tuple[str, ...]
    lines: list[str] = field(default_factory=list)
    _queue: queue.Queue[str | None] = field(default_factory=queue.Queue)

    def read_output(self) -> None:
        """Collect the runner's output in a thread (the pipe must never fill up)."""
        assert self.process.stdout is not None
        stream = self.process.stdout

        def pump() -> None:
            for line in stream:
                self._queue.put(line.rstrip("\n"))
            self._queue.put(None)

        threading.Thread(target=pump, daemon=True).start()

    def wait_for(self, prefix: str, timeout: float) -> None:
        """Wait for a line starting with `prefix`; fail with the output if it never comes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                pytest.fail(f"the runner ended before {prefix!r}:\n" + self.tail())
            self.lines.append(line)
            if line.startswith(prefix):
                return
        pytest.fail(f"no {prefix!r} within {timeout}s:\n" + self.tail())

    def tail(self, count: int = 60) -> str:
        """The last lines printed."""
        return "\n".join(self.lines[-count:])

    def demo_key(self) -> str:
        """The API key the runner printed."""
        for line in self.lines:
            if match := KEY_LINE.search(line):
                return match.group(1)
        pytest.fail("no demo API key printed:\n" + self.tail())

    def database_url(self) -> str:
        """The embedded database's URL the runner printed."""
        for line in self.lines:
            if match := DATABASE_LINE.search(line):
                return match.group(1)
        pytest.fail("no database URL printed:\n" + self.tail())

    def broker(self) -> str:
        """The broker's address the runner printed."""
        for line in self.lines:
            if match := BROKER_LINE.search(line):
                return match.group(1)
        pytest.fail("no broker address printed:\n" + self.tail())

    def urls(self) -> dict[str, str]:
        """Each process's base URL, by the runner's name for it."""
        urls: dict[str, str] = {}
        for service in self.services:
            api, worker = PORTS[service]
            urls[f"{service}-api"] = f"http://127.0.0.1:{api + self.offset}"
            urls[f"{service}-worker"] = f"http://127.0.0.1:{worker + self.offset}"
        return urls

    def processes(self) -> list[psutil.Process]:
        """Every process the stack started: descendants of the runner, and PostgreSQL's."""
        found = psutil.Process(self.process.pid).children(recursive=True)
        pid_file = self.data_dir / "postgres" / "postmaster.pid"
        postmaster = psutil.Process(int(pid_file.read_text().split()[0]))
        return [*found, postmaster, *postmaster.children(recursive=True)]


def _ephemeral_low() -> int:
    """Where the kernel's ephemeral ports start: the embedded broker and database take theirs
    from there, so the stack's fixed ports stay below it."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768


def _free_offset() -> int:
    """A port offset under which none of the stack's ports is taken, nor can be taken by a port
    the system hands out while the stack starts."""
    highest = max(max(pair) for pair in PORTS.values()) + 1
    highest = max(highest, OIDC_PORT + 1)
    for _ in range(50):
        offset = random.randrange(10_000, _ephemeral_low() - highest)
        ports = [port + offset for pair in PORTS.values() for port in pair] + [OIDC_PORT + offset]
        if all(_port_free(port) for port in ports):
            return offset
    raise RuntimeError("no free port range found")


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.fixture(scope="session")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder whose PostgreSQL has every schema at head, made once for the run's test
    workers (whose folders share a parent), so that the other stacks skip migrating every schema.
    The first test starts on an empty folder, as `make up` does on a new machine."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    template = shared / "stack-migrated"
    with open(shared / "stack-migrated.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (template / "complete").exists():
            shutil.rmtree(template, ignore_errors=True)
            postgres = start_postgres(template / "postgres", database=DATABASE)
            try:
                migrate(alembic_inis(ROOT), postgres.url)
            finally:
                postgres.stop()
            (template / "complete").touch()
    return template


@contextlib.contextmanager
def local_stack(
    data_dir: Path,
    *,
    start_from: Path | None = None,
    services: tuple[str, ...] = tuple(PORTS),
    **variables: str,
) -> Iterator[RunningStack]:
    """Start the runner with `services` (BEACON_SERVICES) on `data_dir` (a copy of `start_from`,
    or empty) and free ports; kill whatever a failure leaves."""
    if start_from is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
        # `cp -a` keeps the files' owner: run as root, PostgreSQL runs as a user of its own.
        subprocess.run(["cp", "-a", str(start_from / "postgres"), str(data_dir)], check=True)
    offset = _free_offset()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in INHERITED_NOT and not k.endswith(("_HTTP_PORT", "_WORKER_PORT"))
    }
    env.update(
        BEACON_DATA_DIR=str(data_dir),
        BEACON_PORT_OFFSET=str(offset),
        BEACON_SERVICES=",".join(services),
        # The embedded broker makes a group's first join wait half the session timeout: 1.5 s
        # here, not 5 s, at every start and restart of a worker.
        CONSUMER_SESSION_TIMEOUT_MS="3000",
    )
    env.update(variables)
    process = subprocess.Popen(
        [sys.executable, "deploy/local/stack.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    stack = RunningStack(process=process, offset=offset, data_dir=data_dir, services=services)
    stack.read_output()
    leftovers: list[psutil.Process] = []
    try:
        stack.wait_for(READY_LINE, timeout=180)
        leftovers = stack.processes()
        yield stack
    finally:
        if process.poll() is None:
            with contextlib.suppress(psutil.Error):
                leftovers = psutil.Process(process.pid).children(recursive=True) + leftovers
            process.kill()
            process.wait()
        for proc in leftovers:
            with contextlib.suppress(psutil.Error):
                proc.kill()


def _post_comments(stack: RunningStack, count: int) -> list[int]:
    """Post `count` comments to ingest with the demo key; the statuses answered."""
    with httpx.Client(timeout=10) as http:
        return [
            http.post(
                f"{stack.urls()['ingest-api']}/v1/interactions",
                json=_interaction(f"c-{n}"),
                headers={"Authorization": f"Bearer {stack.demo_key()}"},
            ).status_code
            for n in range(count)
        ]


def _eventually(read: Callable[[], T], *, until: Callable[[T], bool], timeout: float = 30) -> T:
    """What `read` answers once `until` holds of it (or at the timeout, for the test to judge)."""
    deadline = time.monotonic() + timeout
    value = read()
    while not until(value) and time.monotonic() < deadline:
        time.sleep(0.25)
        value = read()
    return value


def _interaction(external_id: str) -> dict[str, object]:
    return {
        "kind": "comment",
        "external_id": external_id,
        "author": {"network_id": "u-1", "handle": "ada"},
        "text": "Love the new release!",
        "created_at": datetime.now(UTC).isoformat(),
    }


def test_the_stack_serves_all_services_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    # The publisher hands its own accounts over to the registry every second here, not every
    # five minutes, for the account below to reach the workspace within the test.
    with local_stack(tmp_path, PUBLISHER_ACCOUNT_HANDOVER_SECONDS="1") as stack:
        processes = stack.processes()
        urls = stack.urls()
        ingest = urls["ingest-api"]
        with httpx.Client(timeout=10) as http:
            ready = {name: http.get(f"{url}/readyz").status_code for name, url in urls.items()}
            anonymous = http.post(f"{ingest}/v1/interactions", json=_interaction("c-1"))
            accepted = http.post(
                f"{ingest}/v1/interactions",
                json=_interaction("c-1"),
                headers={"Authorization": f"Bearer {stack.demo_key()}"},
            )
            # The demo user signs in at the local issuer, as the banner says, and sees it.
            issuer = f"http://127.0.0.1:{OIDC_PORT + stack.offset}"
            token = asyncio.run(sign_in(issuer, "demo"))
            signed_in = http.get(
                f"{ingest}/v1/interactions", headers={"Authorization": f"Bearer {token}"}
            )
            # A brand registered in the workspace reaches the publisher through the broker, and
            # credentials are sealed with the keys the stack made.
            demo = {"Authorization": f"Bearer {token}"}
            brand = http.post(
                f"{urls['workspace-api']}/v1/brands",
                json={"id": "demo-brand", "name": "Demo", "timezone": "Europe/Paris"},
                headers=demo,
            )
            settings = _eventually(
                lambda: http.get(
                    f"{urls['publisher-api']}/v1/brands/demo-brand/publishing-settings",
                    headers=demo,
                ).json(),
                until=lambda body: body.get("timezone") == "Europe/Paris",
            )
            # An X account the publisher connected itself before the registry, as its table
            # holds it (its own API connects sandbox accounts only now).
            account_id = _legacy_publishing_account(stack, brand_id="demo-brand")
            # Handed over to the registry with its credentials, and kept by the publisher as
            # the registry's from then on.
            registered = _eventually(
                lambda: http.get(
                    f"{urls['workspace-api']}/v1/connected-accounts", headers=demo
                ).json()["items"],
                until=lambda items: bool(items),
            )
            replica = _eventually(
                lambda: http.get(
                    f"{urls['publisher-api']}/v1/publishing-accounts/{account_id}",
                    headers=demo,
                ).json(),
                until=lambda body: body.get("source") == "workspace",
            )
            # The comment ingest accepted is filed in its conversation in the inbox.
            conversations = _eventually(
                lambda: http.get(f"{urls['inbox-api']}/v1/conversations", headers=demo).json()[
                    "items"
                ],
                until=lambda items: bool(items),
            )
        on_the_broker = asyncio.run(_every_record(stack.broker()))

        stack.process.send_signal(signal.SIGINT)
        exit_code = stack.process.wait(timeout=30)
        _, alive = psutil.wait_procs(processes, timeout=5)

    assert ready == dict.fromkeys(urls, 200)
    assert anonymous.status_code == 401
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["duplicate"] is False
    assert signed_in.status_code == 200, signed_in.text
    assert [i["external_id"] for i in signed_in.json()["items"]] == ["c-1"]
    assert brand.status_code == 201, brand.text
    assert settings["timezone"] == "Europe/Paris"
    assert [(a["id"], a["kind"], a["connected_by"]) for a in registered] == [
        (str(account_id), "x_user", "service:publisher")
    ]
    assert (replica["source"], replica["has_credentials"]) == ("workspace", True)
    assert [(c["preview"], c["status"]) for c in conversations] == [
        ("Love the new release!", "open")
    ]
    # The token travelled sealed: in no record on any topic, in no line any process logged.
    assert b"account.handover" in on_the_broker
    assert SECRET.encode() not in on_the_broker
    assert not [line for line in stack.lines if SECRET in line]
    assert exit_code == 0, stack.tail()
    assert alive == [], f"left running: {[p.as_dict(['pid', 'name', 'cmdline']) for p in alive]}"
    assert len(processes) > 10  # eight services, the broker, the guard, PostgreSQL's own


async def _every_record(bootstrap: str) -> bytes:
    """Every record's key, value and headers on every topic of the broker, read from the start."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        topics = await consumer.topics()
        consumer.subscribe(sorted(topics))
        read: list[bytes] = []
        while batch := await consumer.getmany(timeout_ms=2000):
            for records in batch.values():
                for record in records:
                    read.append(record.topic.encode())
                    read.extend(part for part in (record.key, record.value) if part)
                    read.extend(value for _, value in record.headers)
        return b"\n".join(read)
    finally:
        await consumer.stop()


def test_a_runner_killed_hard_takes_every_process_with_it(tmp_path: Path, migrated: Path) -> None:
    with local_stack(tmp_path, start_from=migrated, services=SUPERVISED) as stack:
        processes = stack.processes()
        stack.process.kill()
        stack.process.wait(timeout=10)
        _, alive = psutil.wait_procs(processes, timeout=15)

    assert alive == [], f"left running: {[p.as_dict(['pid', 'name', 'cmdline']) for p in alive]}"


def _wait_for_text(stack: RunningStack, text: str, timeout: float) -> None:
    """Wait for a line containing `text`; fail with the output if it never comes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = stack._queue.get(timeout=0.5)
        except queue.Empty:
            continue
        if line is None:
            pytest.fail(f"the runner ended before {text!r}:\n" + stack.tail())
        stack.lines.append(line)
        if text in line:
            return
    pytest.fail(f"no {text!r} within {timeout}s:\n" + stack.tail())


def _process(stack: RunningStack, *markers: str) -> psutil.Process:
    """The one running process of the stack whose command line holds every marker."""
    found = [
        proc
        for proc in psutil.Process(stack.process.pid).children(recursive=True)
        if all(marker in proc.cmdline() for marker in markers)
    ]
    assert len(found) == 1, [p.cmdline() for p in found]
    return found[0]


def _stop_with_ctrl_c(stack: RunningStack) -> tuple[int, list[psutil.Process]]:
    """SIGINT the runner; its exit code and whatever it left running."""
    processes = stack.processes()
    stack.process.send_signal(signal.SIGINT)
    exit_code = stack.process.wait(timeout=60)
    _, alive = psutil.wait_procs(processes, timeout=5)
    return exit_code, alive


def _ready(url: str) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    return False


def _legacy_publishing_account(stack: RunningStack, *, brand_id: str) -> uuid.UUID:
    """An X account of the demo tenant in the publisher's table, its token sealed with the
    stack's PUBLISHER_CREDENTIALS_KEY, as one connected through the publisher's API before the
    registry is held; its id."""
    keys = json.loads((stack.data_dir / "credential-keys.json").read_text())
    box = SecretBox(
        SecretStr(keys["PUBLISHER_CREDENTIALS_KEY"]), setting="PUBLISHER_CREDENTIALS_KEY"
    )
    account_id = uuid.uuid4()

    async def insert() -> None:
        engine = create_async_engine(stack.database_url(), poolclass=NullPool)
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    text(
                        "INSERT INTO publisher.account (id, tenant_id, brand_id, network,"
                        " external_account_id, status, credentials_encrypted, created_at,"
                        " updated_at) VALUES (:id, 'demo', :brand_id, 'x', '1234', 'active',"
                        " :sealed, now(), now())"
                    ),
                    {
                        "id": account_id,
                        "brand_id": brand_id,
                        "sealed": box.encrypt({"access_token": SECRET}),
                    },
                )
        finally:
            await engine.dispose()

    asyncio.run(insert())
    return account_id


def _count(stack: RunningStack, sql: str) -> int:
    """One count from the stack's database."""

    async def query() -> int:
        engine = create_async_engine(stack.database_url(), poolclass=NullPool)
        try:
            async with engine.connect() as conn:
                return int((await conn.execute(text(sql))).scalar_one())
        finally:
            await engine.dispose()

    return asyncio.run(query())


# Comments the broker acknowledged to ingest's relay, and those analytics has handled.
RELAYED = (
    "SELECT count(*) FROM ingest.outbox WHERE topic = 'comment.received' AND relayed_at IS NOT NULL"
)
HANDLED = (
    "SELECT count(*) FROM ingest.outbox o JOIN analytics.inbox i ON i.event_id = o.event_id"
    " WHERE o.topic = 'comment.received' AND i.consumer = 'analytics.events'"
)


def _until(check: Callable[[], object], timeout: float) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.5)
    pytest.fail(f"not true within {timeout}s")


def test_a_worker_killed_hard_is_restarted_and_ctrl_c_still_stops_everything(
    tmp_path: Path, migrated: Path
) -> None:
    with local_stack(tmp_path, start_from=migrated, services=SUPERVISED) as stack:
        killed = _process(stack, "ingest.worker")
        killed.kill()
        _wait_for_text(stack, "ingest-worker exited with code -9: restarting it", 30)
        _wait_for_text(stack, "ingest-worker restarted", 30)
        restarted = _process(stack, "ingest.worker")
        _until(lambda: _ready(stack.urls()["ingest-worker"]), 120)
        others_ready = {name: _ready(url) for name, url in stack.urls().items()}

        exit_code, alive = _stop_with_ctrl_c(stack)

    assert restarted.pid != killed.pid
    assert others_ready == dict.fromkeys(stack.urls(), True)
    assert exit_code == 0, stack.tail()
    assert not restarted.is_running()
    assert alive == [], f"left running: {[p.as_dict(['pid', 'name', 'cmdline']) for p in alive]}"


def test_a_broker_killed_hard_is_restarted_and_no_acknowledged_comment_is_lost(
    tmp_path: Path, migrated: Path
) -> None:
    comments = 20
    with local_stack(tmp_path, start_from=migrated, services=RELAY, BEACON_STOP_GRACE="3") as stack:
        # Analytics stands still: what ingest relays waits in the broker, unread.
        analytics = _process(stack, "analytics.worker")
        analytics.suspend()
        accepted = _post_comments(stack, comments)
        _until(lambda: _count(stack, RELAYED) == comments, 60)
        handled_before = _count(stack, HANDLED)

        _process(stack, "broker", "--listener-url").kill()
        _wait_for_text(stack, "broker restarted", 60)
        _wait_for_text(stack, "workers restarted", 60)
        # On the new broker ingest sends its retained events again, and analytics reads them.
        _until(lambda: _count(stack, HANDLED) == comments, 120)
        workers = [url for name, url in stack.urls().items() if name.endswith("-worker")]
        _until(lambda: all(_ready(url) for url in workers), 60)

        exit_code, alive = _stop_with_ctrl_c(stack)

    assert accepted == [202] * comments
    assert handled_before == 0
    assert exit_code == 0, stack.tail()
    assert alive == [], f"left running: {[p.as_dict(['pid', 'name', 'cmdline']) for p in alive]}"


# Two stacks start one after the other: each may take minutes on a busy machine.
@pytest.mark.timeout(600)
def test_a_stack_started_again_on_the_same_data_loses_no_acknowledged_comment(
    tmp_path: Path, migrated: Path
) -> None:
    comments = 10
    with local_stack(tmp_path, start_from=migrated, services=RELAY, BEACON_STOP_GRACE="3") as stack:
        # Analytics stands still: the comments wait in the broker, which keeps them in memory.
        _process(stack, "analytics.worker").suspend()
        accepted = _post_comments(stack, comments)
        _until(lambda: _count(stack, RELAYED) == comments, 60)
        handled_before = _count(stack, HANDLED)
        first_exit, _ = _stop_with_ctrl_c(stack)

    with local_stack(tmp_path, services=RELAY) as again:
        # A new broker: ingest's relay sends what it retained again, and analytics reads it.
        _until(lambda: _count(again, HANDLED) == comments, 120)
        second_exit, alive = _stop_with_ctrl_c(again)

    assert accepted == [202] * comments
    assert handled_before == 0
    assert (first_exit, second_exit) == (0, 0), again.tail()
    assert alive == [], f"left running: {[p.as_dict(['pid', 'name', 'cmdline']) for p in alive]}"
