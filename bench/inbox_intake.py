"""The inbox's intake alone: what filing `comment.received` costs a message, in batches as the
worker's group hands them over, and one at a time.

The worker's batch handler (`inbox.conversations.handlers.comments_received`) on an embedded
PostgreSQL (or DATABASE_URL), no broker: BENCH_MESSAGES new comments (5000) on 64 posts by 5,000
authors, as the stream benchmark sends them, filed BENCH_BATCH at a time (500, the consumer's
batch size), each batch one transaction with the consumer's claim of its events; then as many
again one per transaction. Prints a JSON object and writes bench/results/inbox_intake.json.
`python -m bench.inbox_intake` from the repository root.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import uvloop
from sqlalchemy.dialects.postgresql import insert

from beacon_shared.contracts.common import Author, Network
from beacon_shared.contracts.ingest import CommentReceived, InteractionKind
from beacon_shared.db import create_engine, create_sessionmaker
from beacon_shared.embedded import start_postgres
from beacon_shared.events import Envelope
from beacon_shared.migrations import upgrade
from bench.servers import code_version
from inbox.conversations.handlers import comments_received
from inbox.db import inbox

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results" / "inbox_intake.json"
MESSAGES = int(os.environ.get("BENCH_MESSAGES", "5000"))
BATCH = int(os.environ.get("BENCH_BATCH", "500"))
TENANT = "bench-intake"
GROUP = "inbox.interactions"


def comments(count: int, start: int) -> list[Envelope]:
    now = datetime.now(UTC)
    made = []
    for n in range(start, start + count):
        comment = CommentReceived(
            interaction_id=uuid.uuid4(),
            brand_id="brand-1",
            account_id="page-1",
            network=Network.facebook,
            kind=InteractionKind.comment,
            external_id=f"c-{n}",
            thread_external_id=f"post-{n % 64}",
            author=Author(network_id=f"u-{n % 5000}", handle=f"author{n % 5000}"),
            text=f"Comment number {n}: where can I buy this?",
            created_at=now - timedelta(milliseconds=count - n),
            received_at=now,
        )
        made.append(
            Envelope.build(comment, tenant_id=TENANT, subject=str(uuid.uuid4()), source="/ingest")
        )
    return made


async def file(sessionmaker, envelopes: list[Envelope], size: int) -> float:
    """Seconds to file the envelopes `size` to a transaction, claiming them as the consumer does."""
    started = time.perf_counter()
    for at in range(0, len(envelopes), size):
        batch = envelopes[at : at + size]
        async with sessionmaker() as session, session.begin():
            await session.execute(
                insert(inbox).values([{"event_id": e.id, "consumer": GROUP} for e in batch])
            )
            await comments_received(session, batch)
    return time.perf_counter() - started


async def run(database_url: str) -> dict[str, object]:
    engine = create_engine(database_url, pool_size=2)
    sessionmaker = create_sessionmaker(engine)
    try:
        warmup = comments(BATCH, 0)
        await file(sessionmaker, warmup, BATCH)
        batched = await file(sessionmaker, comments(MESSAGES, BATCH), BATCH)
        one_by_one = await file(sessionmaker, comments(MESSAGES, BATCH + MESSAGES), 1)
    finally:
        await engine.dispose()
    return {
        "messages": MESSAGES,
        "batch": BATCH,
        "batched_ms_per_message": round(batched * 1000 / MESSAGES, 3),
        "batched_per_s": round(MESSAGES / batched),
        "batched_ms_per_batch": round(batched * 1000 / -(-MESSAGES // BATCH), 1),
        "one_by_one_ms_per_message": round(one_by_one * 1000 / MESSAGES, 3),
        "one_by_one_per_s": round(MESSAGES / one_by_one),
    }


def main() -> None:
    pg = None
    database_url = os.environ.get("DATABASE_URL")
    try:
        if not database_url:
            data_dir = Path(tempfile.mkdtemp(prefix="beacon-bench-")) / "pg"
            pg = start_postgres(data_dir, ephemeral=True)
            database_url = pg.url
        for ini in ("shared", "services/inbox"):
            upgrade(ROOT / ini / "alembic.ini", database_url)
        load_before = [round(x, 2) for x in os.getloadavg()]
        results = uvloop.run(run(database_url))
        results |= {
            "load_average_before": load_before,
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "code": code_version(),
            "ran_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    finally:
        if pg:
            pg.stop()
    print(json.dumps(results, indent=2))
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
