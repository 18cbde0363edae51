"""`make up`'s runner on real embedded servers: every process ready, a working key, nothing left."""

from __future__ import annotations

import contextlib
import os
import queue
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
# Each service's API and worker ports before the offset.
PORTS = {
    "ingest": (8001, 9001),
    "moderation": (8002, 9002),
    "publisher": (8003, 9003),
    "analytics": (8004, 9004),
}
READY_LINE = "Beacon is ready"
KEY_LINE = re.compile(r"demo API key .*: (bk_\S+)")
# The runner's own variables and the servers it would reuse instead of starting embedded ones.
INHERITED_NOT = ("DATABASE_URL", "KAFKA_BOOTSTRAP", "BEACON_SERVICES", "BEACON_DATA_DIR")


@dataclass
class RunningStack:
    """A `python deploy/local/stack.py` process and what it printed."""

    process: subprocess.Popen[str]
    offset: int
    data_dir: Path
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

    def urls(self) -> dict[str, str]:
        """Each process's base URL, by the runner's name for it."""
        urls: dict[str, str] = {}
        for service, (api, worker) in PORTS.items():
            urls[f"{service}-api"] = f"http://127.0.0.1:{api + self.offset}"
            urls[f"{service}-worker"] = f"http://127.0.0.1:{worker + self.offset}"
        return urls

    def processes(self) -> list[psutil.Process]:
        """Every process the stack started: descendants of the runner, and PostgreSQL's."""
        found = psutil.Process(self.process.pid).children(recursive=True)
        pid_file = self.data_dir / "postgres" / "postmaster.pid"
        postmaster = psutil.Process(int(pid_file.read_text().split()[0]))
        return [*found, postmaster, *postmaster.children(recursive=True)]


def _free_offset() -> int:
    """A port offset under which none of the stack's eight ports is taken."""
    for _ in range(50):
        offset = random.randrange(20_000, 50_000)
        ports = [port + offset for pair in PORTS.values() for port in pair]
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


@contextlib.contextmanager
def local_stack(data_dir: Path) -> Iterator[RunningStack]:
    """Start the runner on a fresh data folder and free ports; kill whatever a failure leaves."""
    offset = _free_offset()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in INHERITED_NOT and not k.endswith(("_HTTP_PORT", "_WORKER_PORT"))
    }
    env.update(BEACON_DATA_DIR=str(data_dir), BEACON_PORT_OFFSET=str(offset))
    process = subprocess.Popen(
        [sys.executable, "deploy/local/stack.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    stack = RunningStack(process=process, offset=offset, data_dir=data_dir)
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


def _interaction(external_id: str) -> dict[str, object]:
    return {
        "kind": "comment",
        "external_id": external_id,
        "author": {"network_id": "u-1", "handle": "ada"},
        "text": "Love the new release!",
        "created_at": datetime.now(UTC).isoformat(),
    }


def test_the_stack_serves_all_services_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    with local_stack(tmp_path) as stack:
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

        stack.process.send_signal(signal.SIGINT)
        exit_code = stack.process.wait(timeout=30)
        _, alive = psutil.wait_procs(processes, timeout=5)

    assert ready == dict.fromkeys(urls, 200)
    assert anonymous.status_code == 401
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["duplicate"] is False
    assert exit_code == 0, stack.tail()
    assert alive == [], f"left running: {[p.as_dict(['pid', 'name', 'cmdline']) for p in alive]}"
    assert len(processes) > 10  # eight services, the broker, the guard, PostgreSQL's own


def test_a_runner_killed_hard_takes_every_process_with_it(tmp_path: Path) -> None:
    with local_stack(tmp_path) as stack:
        processes = stack.processes()
        stack.process.kill()
        stack.process.wait(timeout=10)
        _, alive = psutil.wait_procs(processes, timeout=15)

    assert alive == [], f"left running: {[p.as_dict(['pid', 'name', 'cmdline']) for p in alive]}"
