"""How fast a refreshed token reaches the publisher: from the workspace staging
`account.credentials.changed` (the refresher's transaction committing) to the publisher's
`account` row holding the new credentials, sealed with the platform's key.

The workspace side is its outbox and relay, run here as the workspace's worker runs them (one
`beacon_shared.outbox.stage` per transaction, the relay woken by NOTIFY); the publisher side is
a real `python -m publisher.worker` process (its `publisher.accounts` group). First ACCOUNTS X
accounts are connected (account.connected) and awaited; then:

1. `one_at_a_time`: SEQUENTIAL refreshes, each staged alone once the previous one has landed;
   latency is commit to the row holding the new version, read by polling every 2 ms;
2. `burst`: every account refreshed at once, in transactions of 20 as the refresher claims
   them; the time from the first commit until every row holds its new version.

Runs on embedded servers unless DATABASE_URL / KAFKA_BOOTSTRAP are set (the embedded broker
answers a fetch only after `KAFKA_FETCH_MAX_WAIT_MS`, 100 ms by default, which bounds one hop).
Prints a JSON object and writes bench/results/account_tokens.json: `python -m
bench.account_tokens` from the repository root. BENCH_ACCOUNTS and BENCH_SEQUENTIAL change the
sizes.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from beacon_shared import outbox
from beacon_shared.contracts.common import Network
from beacon_shared.contracts.topics import (
    ACCOUNT_CONNECTED,
    ACCOUNT_CREDENTIALS_CHANGED,
    ACCOUNT_DEAUTHORIZED,
    ACCOUNT_DISCONNECTED,
)
from beacon_shared.contracts.workspace import (
    AccountConnected,
    AccountCredentialsChanged,
    AccountKind,
    ConnectedAccount,
)
from beacon_shared.crypto import SecretBox
from beacon_shared.db import create_engine, create_sessionmaker
from beacon_shared.embedded import free_port
from beacon_shared.events import Envelope, EventPayload
from beacon_shared.worker import WorkerSpec, run_worker
from bench.servers import Servers, servers
from workspace.config import Settings as WorkspaceSettings
from workspace.db import outbox as workspace_outbox

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results" / "account_tokens.json"
ACCOUNTS = int(os.environ.get("BENCH_ACCOUNTS", "1000"))
SEQUENTIAL = int(os.environ.get("BENCH_SEQUENTIAL", "300"))
REFRESH_BATCH = 20  # WORKSPACE_REFRESH_BATCH_SIZE's default
TOPICS = [
    ACCOUNT_CONNECTED,
    ACCOUNT_CREDENTIALS_CHANGED,
    ACCOUNT_DISCONNECTED,
    ACCOUNT_DEAUTHORIZED,
]
INIS = [
    ROOT / "shared" / "alembic.ini",
    ROOT / "services" / "workspace" / "alembic.ini",
    ROOT / "services" / "publisher" / "alembic.ini",
]


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))], 1)


class Workspace:
    """Stages the account events as the workspace's connections do, one transaction each."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], box: SecretBox) -> None:
        self.sessions, self.box, self.table = sessions, box, workspace_outbox
        self.tenant = f"bench-{uuid.uuid4().hex[:8]}"
        self.accounts = [
            ConnectedAccount(
                account_id=uuid.uuid4(),
                brand_id="brand-1",
                network=Network.x,
                kind=AccountKind.x_user,
                external_id=str(10_000 + n),
                handle=f"acme{n}",
                scopes=["tweet.write", "offline.access"],
                version=1,
            )
            for n in range(ACCOUNTS)
        ]

    def _envelope(self, payload: EventPayload, account: ConnectedAccount) -> Envelope:
        return Envelope.build(
            payload,
            tenant_id=self.tenant,
            subject=str(account.account_id),
            source="/beacon/workspace",
        )

    def connected(self, account: ConnectedAccount) -> Envelope:
        return self._envelope(
            AccountConnected(
                account=account,
                credentials=self._sealed(account),
                reconnected=False,
                connected_by="user:bench",
                at=datetime.now(UTC),
            ),
            account,
        )

    def refreshed(self, n: int) -> Envelope:
        account = self.accounts[n].model_copy(update={"version": self.accounts[n].version + 1})
        self.accounts[n] = account
        return self._envelope(
            AccountCredentialsChanged(
                account=account, credentials=self._sealed(account), at=datetime.now(UTC)
            ),
            account,
        )

    def _sealed(self, account: ConnectedAccount) -> str:
        token = f"x-access-{account.account_id.hex[:8]}-v{account.version}"
        return self.box.encrypt({"access_token": token, "refresh_token": "r"}).decode()

    async def stage(self, envelopes: Sequence[Envelope]) -> float:
        """Stage and commit; the time of the commit."""
        async with self.sessions() as session, session.begin():
            await outbox.stage(session, self.table, envelopes)
        return time.perf_counter()


def spawn_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`python -m publisher.worker` in a session of its own, its output in `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "publisher.worker"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


async def versions(engine: AsyncEngine, tenant: str) -> dict[str, int]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT id::text, workspace_version FROM publisher.account WHERE tenant_id = :t"),
            {"t": tenant},
        )
        return {row[0]: row[1] for row in rows}


async def run(found: Servers) -> dict[str, object]:
    event_key, publisher_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    engine = create_engine(found.database_url, pool_size=4, app_name="bench-account-tokens")
    workspace = Workspace(
        create_sessionmaker(engine), SecretBox(SecretStr(event_key), setting="EVENT")
    )
    relay_settings = WorkspaceSettings(
        database_url=found.database_url,
        kafka_bootstrap=found.bootstrap,
        kafka_enable_idempotence=found.idempotence,
        worker_port=0,
        log_level="WARNING",
    )
    stop = asyncio.Event()
    relay = asyncio.create_task(
        run_worker(
            relay_settings,
            WorkerSpec(topics=TOPICS, outbox=workspace_outbox),
            stop,
            serve_http=False,
        )
    )
    log = Path(tempfile.mkdtemp(prefix="beacon-bench-tokens-")) / "publisher-worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": found.database_url,
        "KAFKA_BOOTSTRAP": found.bootstrap,
        "BIND_HOST": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "PUBLISHER_CREDENTIALS_KEY": publisher_key,
        "NETWORK_CREDENTIALS_KEYS": event_key,
        "PUBLISHER_WORKER_PORT": str(free_port()),
    }
    if not found.idempotence:
        env["KAFKA_ENABLE_IDEMPOTENCE"] = "false"
    worker = spawn_worker(env, log)
    try:
        started = time.perf_counter()
        for first in range(0, ACCOUNTS, REFRESH_BATCH):
            batch = workspace.accounts[first : first + REFRESH_BATCH]
            await workspace.stage([workspace.connected(a) for a in batch])
        while len(await versions(engine, workspace.tenant)) < ACCOUNTS:
            if worker.poll() is not None:
                raise RuntimeError(f"the publisher worker exited; see {log}")
            await asyncio.sleep(0.05)
        connected_seconds = time.perf_counter() - started

        latencies: list[float] = []
        for i in range(SEQUENTIAL):
            n = i % ACCOUNTS
            envelope = workspace.refreshed(n)
            committed = await workspace.stage([envelope])
            wanted = workspace.accounts[n]
            async with engine.connect() as conn:
                while True:
                    version = await conn.scalar(
                        text("SELECT workspace_version FROM publisher.account WHERE id = :id"),
                        {"id": wanted.account_id},
                    )
                    await conn.rollback()
                    if version == wanted.version:
                        break
                    await asyncio.sleep(0.002)
            latencies.append((time.perf_counter() - committed) * 1000)

        burst_start = None
        for first in range(0, ACCOUNTS, REFRESH_BATCH):
            envelopes = [
                workspace.refreshed(n) for n in range(first, min(first + REFRESH_BATCH, ACCOUNTS))
            ]
            committed = await workspace.stage(envelopes)
            burst_start = burst_start or committed
        assert burst_start is not None
        want = {str(a.account_id): a.version for a in workspace.accounts}
        while True:
            held = await versions(engine, workspace.tenant)
            if all(held.get(k) == v for k, v in want.items()):
                break
            await asyncio.sleep(0.01)
        burst_seconds = time.perf_counter() - burst_start

        async with engine.connect() as conn:
            sealed = await conn.scalar(
                text(
                    "SELECT count(*) FROM publisher.account "
                    "WHERE tenant_id = :t AND credentials_encrypted IS NOT NULL"
                ),
                {"t": workspace.tenant},
            )
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
        stop.set()
        await relay
        await engine.dispose()
    return {
        "accounts": ACCOUNTS,
        "connected_all_seconds": round(connected_seconds, 2),
        "one_at_a_time": {
            "refreshes": SEQUENTIAL,
            "p50_ms": percentile(latencies, 50),
            "p95_ms": percentile(latencies, 95),
            "p99_ms": percentile(latencies, 99),
            "max_ms": round(max(latencies), 1),
            "mean_ms": round(statistics.fmean(latencies), 1),
        },
        "burst": {
            "refreshes": ACCOUNTS,
            "transactions_of": REFRESH_BATCH,
            "all_landed_seconds": round(burst_seconds, 2),
            "per_second": round(ACCOUNTS / burst_seconds),
        },
        "rows_with_credentials": sealed,
        "kafka_fetch_max_wait_ms": relay_settings.kafka_fetch_max_wait_ms,
    }


def main() -> None:
    with servers(migrate=INIS) as found:
        result = asyncio.run(run(found))
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
