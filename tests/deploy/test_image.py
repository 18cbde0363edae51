"""The container image: its Dockerfile read as Docker would, and its entry point run for real."""

from __future__ import annotations

import asyncio
import fnmatch
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from deploy_support import ROOT, SERVICE_NAMES, ServiceInfo, documented_variables

from beacon_shared.embedded import free_port

DOCKERFILE = ROOT / "Dockerfile"
ENTRYPOINT = ROOT / "deploy" / "image" / "entrypoint.sh"
HEALTHCHECK = ROOT / "deploy" / "image" / "healthcheck.py"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last_from:]


def ignored(path: str) -> bool:
    """Whether .dockerignore keeps `path` out of the build context (last match wins)."""
    verdict = False
    for raw in (ROOT / ".dockerignore").read_text().splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        keep = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        parts = Path(path).parts
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(
            fnmatch.fnmatch(prefix, pattern) or fnmatch.fnmatch(prefix, f"**/{pattern}")
            for prefix in prefixes
        ):
            verdict = not keep
    return verdict


class TestDockerfile:
    def test_two_stages_and_a_locked_install(self):
        steps = instructions()
        stages = [args for keyword, args in steps if keyword == "FROM"]
        assert [s.split(" AS ")[-1] for s in stages] == ["build", "runtime"]
        runs = " ".join(args for keyword, args in steps if keyword == "RUN")
        syncs = re.findall(r"uv sync [^&;]*", runs)
        assert syncs
        # --locked: exactly uv.lock, and the build fails if it is stale (--frozen would not).
        assert all("--locked" in s and "--no-dev" in s for s in syncs)
        assert not [s for s in syncs if "--frozen" in s]
        assert "uv pip install" not in runs

    def test_the_lockfile_matches_the_projects(self):
        # What `uv sync --locked` checks first in the image build, without the build.
        uv = ROOT / ".tools" / "bin" / "uv"
        found = str(uv) if uv.exists() else shutil.which("uv")
        assert found, "uv is installed by `make install`"
        done = subprocess.run(
            [found, "lock", "--check", "--offline"],
            cwd=ROOT,
            env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr

    def test_uv_is_the_makefile_s(self):
        pinned = re.search(r'"uv==([\d.]+)"', (ROOT / "Makefile").read_text())
        assert pinned
        assert f'"uv=={pinned.group(1)}"' in DOCKERFILE.read_text()

    def test_the_runtime_runs_unprivileged_with_a_healthcheck_and_the_entry_point(self):
        final = dict(final_stage())
        user = final["USER"].split(":")[0]
        assert user.isdigit()
        assert int(user) != 0
        assert "healthcheck.py" in final["HEALTHCHECK"]
        assert final["ENTRYPOINT"] == '["/app/deploy/image/entrypoint.sh"]'
        assert ENTRYPOINT.stat().st_mode & stat.S_IXUSR

    def test_every_copied_path_exists_and_reaches_the_build(self):
        for keyword, args in instructions():
            if keyword != "COPY" or "--from=" in args:
                continue
            *sources, _ = [a for a in shlex.split(args) if not a.startswith("--")]
            for source in sources:
                assert (ROOT / source).exists(), source
                assert not ignored(source.rstrip("/")), f"{source} is in .dockerignore"

    def test_every_alembic_environment_is_in_the_image(self):
        copied = " ".join(args for keyword, args in final_stage() if keyword == "COPY")
        for svc in SERVICE_NAMES:
            assert f"services/{svc}/alembic.ini" in copied
            assert f"services/{svc}/migrations" in copied
        assert "shared/alembic.ini" in copied
        assert "shared/migrations" in copied

    def test_the_service_ports_are_exposed(self, services: dict[str, ServiceInfo]):
        exposed = {int(p) for _, args in final_stage() if _ == "EXPOSE" for p in args.split()}
        for info in services.values():
            assert {info.http_port, info.worker_port} <= exposed

    def test_tests_and_local_state_stay_out_of_the_build(self):
        for path in (".venv", ".data", "services/ingest/tests", "tests/deploy", ".git"):
            assert ignored(path), path
        assert not ignored("services/ingest/src/ingest/main.py")


class _Answer(BaseHTTPRequestHandler):
    """200 on /healthz, 503 on /readyz: a live process that is not ready."""

    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/healthz" else 503)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def health_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def healthcheck(*args: str, health_file: Path) -> int:
    """The HEALTHCHECK command's exit status (the image has python, not curl)."""
    env = {**os.environ, "BEACON_HEALTH_FILE": str(health_file)}
    done = subprocess.run(
        [sys.executable, str(HEALTHCHECK), *args], env=env, timeout=30, check=False
    )
    return done.returncode


class TestHealthcheck:
    def test_a_url_given_is_checked(self, health_server, tmp_path):
        missing = tmp_path / "none"
        assert healthcheck(f"{health_server}/healthz", health_file=missing) == 0
        assert healthcheck(f"{health_server}/readyz", health_file=missing) == 1

    def test_without_a_url_it_checks_the_one_the_entry_point_wrote(self, health_server, tmp_path):
        written = tmp_path / "health-url"
        written.write_text(f"{health_server}/healthz\n")
        assert healthcheck(health_file=written) == 0
        written.write_text(f"{health_server}/readyz\n")
        assert healthcheck(health_file=written) == 1

    def test_a_process_that_does_not_answer_is_unhealthy(self, tmp_path):
        nobody = free_port()
        assert healthcheck(f"http://127.0.0.1:{nobody}/healthz", health_file=tmp_path / "x") == 1

    def test_roles_that_serve_nothing_are_healthy(self, tmp_path):
        # migrate and topics write no URL.
        assert healthcheck(health_file=tmp_path / "never-written") == 0


@pytest.fixture
def fake_tools(tmp_path: Path) -> Path:
    """python and alembic stand-ins that print how they were called."""
    for tool in ("python", "alembic"):
        script = tmp_path / tool
        script.write_text(f'#!/bin/sh\necho {tool} "$@"\n')
        script.chmod(0o755)
    return tmp_path


def run_entrypoint(
    *args: str, tools: Path, health_file: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not re.match(r"[A-Z]+_(HTTP|WORKER)_PORT$", k)}
    return subprocess.run(
        ["sh", str(ENTRYPOINT), *args],
        env={
            **base,
            "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}",
            "BEACON_HEALTH_FILE": str(health_file),
            **env,
        },
        capture_output=True,
        text=True,
        check=False,
    )


class TestEntrypointRoles:
    def test_api_serves_the_service_on_its_settings_port(self, fake_tools, tmp_path, services):
        health = tmp_path / "health"
        for svc, info in services.items():
            done = run_entrypoint("api", svc, tools=fake_tools, health_file=health)
            assert done.returncode == 0, done.stderr
            words = done.stdout.split()
            assert words[:5] == [
                "python",
                "-m",
                "beacon_shared.serve",
                "--factory",
                f"{svc}.main:create_app",
            ]
            assert words[words.index("--port") + 1] == str(info.http_port)
            assert words[words.index("--timeout-graceful-shutdown") + 1] == "20"
            assert health.read_text().strip() == f"http://127.0.0.1:{info.http_port}/healthz"

    def test_the_port_and_grace_come_from_the_environment(self, fake_tools, tmp_path):
        done = run_entrypoint(
            "api",
            "ingest",
            tools=fake_tools,
            health_file=tmp_path / "health",
            INGEST_HTTP_PORT="18001",
            API_SHUTDOWN_GRACE_SECONDS="7",
        )
        words = done.stdout.split()
        assert words[words.index("--port") + 1] == "18001"
        assert words[words.index("--timeout-graceful-shutdown") + 1] == "7"

    def test_worker_topics_and_migrate(self, fake_tools, tmp_path, services):
        health = tmp_path / "health"
        for svc, info in services.items():
            worker = run_entrypoint("worker", svc, tools=fake_tools, health_file=health)
            assert worker.stdout.split() == ["python", "-m", f"{svc}.worker"]
            assert health.read_text().strip() == f"http://127.0.0.1:{info.worker_port}/healthz"
            topics = run_entrypoint("topics", svc, tools=fake_tools, health_file=health)
            assert topics.stdout.split() == ["python", "-m", f"{svc}.worker", "topics"]
            migrate = run_entrypoint("migrate", svc, tools=fake_tools, health_file=health)
            ini = ROOT / "services" / svc / "alembic.ini"
            assert migrate.stdout.split() == ["alembic", "-c", str(ini), "upgrade", "head"]
        iam = run_entrypoint("migrate", "iam", tools=fake_tools, health_file=health)
        assert iam.stdout.split() == [
            "alembic",
            "-c",
            str(ROOT / "shared" / "alembic.ini"),
            "upgrade",
            "head",
        ]

    def test_every_variable_it_reads_is_documented(self, entrypoint_env_names):
        assert entrypoint_env_names
        assert entrypoint_env_names - documented_variables() == set()

    @pytest.mark.parametrize(
        "args", [(), ("api",), ("serve", "ingest"), ("api", "billing"), ("worker", "iam")]
    )
    def test_anything_else_is_a_usage_error(self, fake_tools, tmp_path, args):
        done = run_entrypoint(*args, tools=fake_tools, health_file=tmp_path / "health")
        assert done.returncode == 64
        assert "usage:" in done.stderr
        assert done.stdout == ""


def venv_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    return {**env, **values}


@pytest.mark.integration
@pytest.mark.kafka
class TestEntrypointOnRealServers:
    async def test_migrate_brings_a_schema_to_head(self, database_url, kafka_bootstrap):
        done = await asyncio.to_thread(
            subprocess.run,
            ["sh", str(ENTRYPOINT), "migrate", "ingest"],
            env=venv_env(DATABASE_URL=database_url, KAFKA_BOOTSTRAP=kafka_bootstrap),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr

    async def test_topics_creates_the_service_topics_and_dead_letters(
        self, database_url, kafka_bootstrap, services
    ):
        done = await asyncio.to_thread(
            subprocess.run,
            ["sh", str(ENTRYPOINT), "topics", "publisher"],
            env=venv_env(
                DATABASE_URL=database_url, KAFKA_BOOTSTRAP=kafka_bootstrap, LOG_FORMAT="console"
            ),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "topics.ready" in done.stdout + done.stderr
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
        await admin.start()
        try:
            existing = set(await admin.list_topics())
        finally:
            await admin.close()
        for topic in services["publisher"].worker.topics:
            assert {topic.name, f"{topic.name}.dlq"} <= existing
