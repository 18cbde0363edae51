"""Inbox benchmark: the common list views, the counts and a search over a large inbox.

1. One organization's inbox is bulk-loaded with INSERT … SELECT generate_series: BENCH_INBOX_
   CONVERSATIONS conversations (1,000,000 by default; 20 brands, six networks, comment threads,
   mentions and private conversations; 20 % open, 10 % pending, 5 % snoozed, 65 % resolved;
   assigned among 50 members, a fifth to nobody; labels and priorities on some; half given to
   one of five teams; a sentiment on three in four; intents on two in three; those not resolved
   waiting for an answer, their first response due 1 to 48 hours after and their resolution 7
   days after) and
   BENCH_INBOX_MESSAGES messages (5,000,000) spread over them, their texts drawn from English and
   French words, each with the language moderation would have detected, and its author's
   contact (200,000 authors, one contact each per brand and network). The search index is
   built after the load (as a restore would), the status counts folded (as the worker would),
   then the tables are vacuumed and analysed (as autovacuum keeps them).
2. Each view is asked BENCH_INBOX_REQUESTS times (200) through the API in this process (httpx
   over ASGI: authentication, the query, the JSON), its parameters varied between requests:
   open conversations, the caller's own, the unassigned, one brand's, one label's, one team's,
   the negative ones, those waiting for an answer, the overdue ones (all, open), the second page
   of the open ones, the counts by status (everything, one brand's, one team's, the negative
   ones, the overdue ones, the caller's own), one intent's open conversations, one contact's
   conversations and messages, one brand's contacts; and
   BENCH_INBOX_SEARCHES times (50) a search of one word, then of two, English and French in
   turn, then of two kept to one brand.

Runs on an embedded PostgreSQL unless DATABASE_URL is set. Prints a table and writes
bench/results/inbox.json. `make bench-inbox`, i.e. `python -m bench.inbox` from the repository
root.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from beacon_shared.auth.brands import register_brand
from beacon_shared.auth.keys import issue_key
from beacon_shared.auth.members import add_member
from beacon_shared.auth.tenants import ensure_tenant
from beacon_shared.db import create_engine, create_sessionmaker
from bench.ingest import percentile
from bench.servers import ROOT, code_version, servers
from inbox.config import Settings
from inbox.conversations import service as conversations
from inbox.main import create_app

CONVERSATIONS = int(os.environ.get("BENCH_INBOX_CONVERSATIONS", "1000000"))
MESSAGES = int(os.environ.get("BENCH_INBOX_MESSAGES", "5000000"))
REQUESTS = int(os.environ.get("BENCH_INBOX_REQUESTS", "200"))
SEARCHES = int(os.environ.get("BENCH_INBOX_SEARCHES", "50"))
LOAD_BATCH = 500_000
TENANT = "bench-inbox"
BRANDS = 20
MEMBERS = 50
RESULTS = ROOT / "bench" / "results" / "inbox.json"
ENGLISH = [
    "refund",
    "order",
    "delivery",
    "late",
    "broken",
    "parcel",
    "thanks",
    "love",
    "great",
    "product",
    "size",
    "shoes",
    "running",
    "price",
    "discount",
    "store",
    "open",
    "weekend",
    "help",
    "account",
    "password",
    "shipping",
    "return",
    "exchange",
    "color",
    "quality",
    "battery",
    "screen",
    "warranty",
    "support",
    "answer",
    "waiting",
    "again",
    "still",
    "never",
    "received",
]
FRENCH = [
    "remboursement",
    "commande",
    "livraison",
    "retard",
    "cassé",
    "colis",
    "merci",
    "super",
    "produit",
    "taille",
    "chaussures",
    "prix",
    "promotion",
    "magasin",
    "ouvert",
    "week-end",
    "aide",
    "compte",
    "mot",
    "passe",
    "expédition",
    "retour",
    "échange",
    "couleur",
    "qualité",
    "batterie",
    "écran",
    "garantie",
    "réponse",
    "attente",
    "encore",
    "jamais",
    "reçu",
]
# The message indexes built after the load, as a restore would.
MESSAGE_INDEXES = {
    "ix_message_search": "USING gin (search_vector)",
    "ix_message_recent": "(tenant_id, created_at)",
    "ix_message_brand_recent": "(tenant_id, brand_id, created_at)",
    "ix_message_contact": "(contact_id, created_at, id) WHERE contact_id IS NOT NULL",
}
# What the authors want, as moderation would have read it: a question, a complaint, praise, a
# question to buy, nothing said (twice).
INTENTS = "ARRAY['{question}','{complaint}','{praise}','{question,purchase_intent}','{}','{}']"
INTENT_NAMES = ("question", "complaint", "praise", "purchase_intent")


def contact_of(brand: str, network: str, author: str) -> str:
    """SQL of the contact id of an author on a brand and network (one per author per brand and
    network, as the inbox makes them)."""
    return f"md5('k' || {brand} || '-' || {network} || '-' || {author})::uuid"


def bench_contact(g: int) -> str:
    """The contact id of conversation `g`'s author, as `contact_of` makes it in SQL."""
    key = f"k{g % BRANDS}-{g % 6}-{g % 200000}"
    return str(uuid.UUID(hashlib.md5(key.encode()).hexdigest()))


TEAMS = 5
LABELS = ("refund", "vip", "bug", "delivery", "complaint")


def sentence(words: list[str]) -> str:
    """SQL of four of `words`, picked from the row number `g`."""
    array = "ARRAY[" + ",".join(f"'{w}'" for w in words) + "]"
    return " || ' ' || ".join(
        f"({array})[1 + (g / {step}) % {len(words)}]" for step in (1, 7, 13, 29)
    )


async def load(engine: AsyncEngine, member_ids: list[uuid.UUID]) -> dict[str, float]:
    """The organization's conversations and messages, bulk-loaded; how long it took."""
    began = time.perf_counter()
    members = "ARRAY[" + ",".join(f"'{m}'::uuid" for m in member_ids) + "]"
    teams = "ARRAY[" + ",".join(f"md5('team{t}')::uuid" for t in range(TEAMS)) + "]"
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO inbox.team (id, tenant_id, name, created_by, created_at) "
                "SELECT md5('team' || t)::uuid, :tenant, 'team ' || t, 'bench', now() "
                "FROM generate_series(0, :n - 1) t"
            ),
            {"tenant": TENANT, "n": TEAMS},
        )
        for index in MESSAGE_INDEXES:
            await conn.execute(text(f"DROP INDEX IF EXISTS inbox.{index}"))
        await conn.execute(
            text(
                f"""
                INSERT INTO inbox.conversation (
                    id, tenant_id, brand_id, network, kind, thread_external_id, status,
                    snoozed_until, assignee, team_id, priority, labels, sentiment, intents,
                    contact_network_id, contact_handle, contact_id, preview, message_count,
                    created_at,
                    last_message_at, last_inbound_at, waiting_since, updated_at,
                    response_target, response_started_at, response_due_at,
                    resolution_started_at, resolution_due_at, sla_due_at)
                SELECT md5('c' || g)::uuid, :tenant, 'brand-' || (g % {BRANDS}),
                    (ARRAY['facebook','instagram','x','mastodon','bluesky','linkedin'])
                        [1 + g % 6],
                    (ARRAY['comment','comment','comment','mention','direct_message'])[1 + g % 5],
                    'thread-' || g,
                    s.status,
                    CASE WHEN s.status = 'snoozed' THEN now() + interval '1 day' END,
                    CASE WHEN g % 5 = 0 THEN NULL ELSE ({members})[1 + g % {MEMBERS}] END,
                    CASE WHEN g % 2 = 0 THEN ({teams})[1 + (g / 2) % {TEAMS}] END,
                    (ARRAY[NULL,NULL,NULL,'low','medium','high','urgent'])[1 + g % 7],
                    CASE WHEN g % 4 = 0
                        THEN ARRAY[(ARRAY{list(LABELS)!r})[1 + g % {len(LABELS)}]]
                        ELSE '{{}}'::text[] END,
                    (ARRAY[NULL,'negative','neutral','positive'])[1 + (g / 3) % 4],
                    ({INTENTS})[1 + (g / 11) % 6]::text[],
                    'author-' || (g % 200000), 'author' || (g % 200000),
                    {contact_of("g % " + str(BRANDS), "g % 6", "g % 200000")},
                    'latest message of ' || g, {MESSAGES // CONVERSATIONS},
                    t.at - interval '1 hour', t.at, t.at,
                    CASE WHEN s.status <> 'resolved' THEN t.at END, t.at,
                    CASE WHEN s.status <> 'resolved' THEN 'first_response' END,
                    CASE WHEN s.status <> 'resolved' THEN t.at END,
                    CASE WHEN s.status <> 'resolved' THEN t.at + d.response END,
                    CASE WHEN s.status <> 'resolved' THEN t.at END,
                    CASE WHEN s.status <> 'resolved' THEN t.at + interval '7 days' END,
                    CASE WHEN s.status <> 'resolved' THEN t.at + d.response END
                FROM generate_series(1, :n) g
                CROSS JOIN LATERAL (
                    SELECT CASE WHEN g % 20 < 4 THEN 'open' WHEN g % 20 < 6 THEN 'pending'
                        WHEN g % 20 = 6 THEN 'snoozed' ELSE 'resolved' END AS status
                ) s
                CROSS JOIN LATERAL (
                    SELECT now() - (g * interval '2 seconds') AS at
                ) t
                CROSS JOIN LATERAL (
                    SELECT (1 + g % 48) * interval '1 hour' AS response
                ) d
                """
            ),
            {"tenant": TENANT, "n": CONVERSATIONS},
        )
    for first in range(1, MESSAGES + 1, LOAD_BATCH):
        last = min(first + LOAD_BATCH - 1, MESSAGES)
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    f"""
                    INSERT INTO inbox.message (
                        id, tenant_id, conversation_id, brand_id, interaction_id, kind,
                        external_id, author_network_id, author_handle, contact_id, text,
                        language, created_at, received_at)
                    SELECT gen_random_uuid(), :tenant, md5('c' || c)::uuid,
                        'brand-' || (c % {BRANDS}),
                        gen_random_uuid(), 'comment', 'm-' || g, 'author-' || (g % 200000),
                        'author' || (g % 200000),
                        {contact_of("c % " + str(BRANDS), "c % 6", "g % 200000")},
                        CASE WHEN g % 3 = 0 THEN {sentence(FRENCH)} ELSE {sentence(ENGLISH)} END,
                        CASE WHEN g % 3 = 0 THEN 'fr' ELSE 'en' END,
                        now() - (g * interval '1 second'), now()
                    FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) g
                    CROSS JOIN LATERAL (
                        SELECT 1 + (g - 1) % CAST(:conversations AS bigint) AS c
                    ) pick
                    """
                ),
                {"tenant": TENANT, "first": first, "last": last, "conversations": CONVERSATIONS},
            )
        print(f"  {last:,} messages loaded ({time.perf_counter() - began:.0f} s)", flush=True)
    async with engine.begin() as conn:
        for index, definition in MESSAGE_INDEXES.items():
            await conn.execute(text(f"CREATE INDEX {index} ON inbox.message {definition}"))
        # The contacts the messages' authors are, as the inbox would have made them.
        await conn.execute(
            text(
                """
                INSERT INTO inbox.contact (id, tenant_id, brand_id, handle, message_count,
                    first_contact_at, last_contact_at, created_at, updated_at)
                SELECT contact_id, :tenant, min(brand_id), min(author_handle), count(*),
                    min(created_at), max(created_at), now(), now()
                FROM inbox.message WHERE tenant_id = :tenant GROUP BY contact_id
                """
            ),
            {"tenant": TENANT},
        )
    async with create_sessionmaker(engine)() as session:
        while True:
            async with session.begin():
                if not await conversations.fold_counts(session):
                    break
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        # Vacuumed as autovacuum keeps a table in use, so that index-only scans (the counts of a
        # team or a sentiment) read no heap pages for rows just loaded.
        await conn.execute(text("VACUUM ANALYZE inbox.conversation"))
        await conn.execute(text("VACUUM ANALYZE inbox.message"))
        await conn.execute(text("VACUUM ANALYZE inbox.contact"))
    return {"load_seconds": round(time.perf_counter() - began, 1)}


async def people(engine: AsyncEngine) -> tuple[str, str, list[uuid.UUID]]:
    """An organization key, a member's personal token, and the members' ids."""
    async with create_sessionmaker(engine)() as session, session.begin():
        await ensure_tenant(session, tenant_id=TENANT)
        for b in range(BRANDS):
            await register_brand(session, tenant_id=TENANT, brand_id=f"brand-{b}")
        ids = []
        for n in range(MEMBERS):
            joined = await add_member(
                session, tenant_id=TENANT, issuer="https://bench", subject=f"m{n}", role="agent"
            )
            ids.append(joined.user_id)
        org = await issue_key(session, tenant_id=TENANT, name="bench", scopes=("*",))
        own = await issue_key(
            session, tenant_id=TENANT, name="member", scopes=("*",), user_id=ids[1]
        )
    return org.key, own.key, ids


async def timed(
    client: httpx.AsyncClient,
    path: str | Callable[[int], str],
    params: Callable[[int], dict[str, Any]],
    requests: int = REQUESTS,
) -> dict[str, float]:
    """p50/p99 of `requests` GETs of `path` (or `path(n)`), the n-th with `params(n)`, after a
    warm-up."""

    def url(n: int) -> str:
        return path(n) if callable(path) else path

    for n in range(5):
        (await client.get(url(n), params=params(n))).raise_for_status()
    latencies = []
    for n in range(requests):
        began = time.perf_counter()
        response = await client.get(url(n), params=params(n))
        latencies.append((time.perf_counter() - began) * 1000)
        response.raise_for_status()
    return {
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "mean_ms": round(statistics.fmean(latencies), 2),
    }


async def views(
    database_url: str, bootstrap: str, org_key: str, own_key: str
) -> dict[str, dict[str, float]]:
    settings = Settings(
        database_url=database_url,
        kafka_bootstrap=bootstrap,
        log_requests=False,
        log_level="WARNING",
        # One key asks everything, faster than any client would.
        api_rate_limit_per_minute=1_000_000,
    )
    app = create_app(settings)
    rng = random.Random(7)
    team_ids = [uuid.UUID(hashlib.md5(f"team{t}".encode()).hexdigest()) for t in range(TEAMS)]
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://bench") as http,
        ):
            http.headers["Authorization"] = f"Bearer {org_key}"
            first = await http.get("/v1/conversations", params={"status": "open"})
            cursor = first.json()["next_cursor"]
            found: dict[str, dict[str, float]] = {
                "open": await timed(http, "/v1/conversations", lambda _n: {"status": "open"}),
                "unassigned, open": await timed(
                    http,
                    "/v1/conversations",
                    lambda _n: {"assignee": "unassigned", "status": "open"},
                ),
                "one brand, open": await timed(
                    http,
                    "/v1/conversations",
                    lambda n: {"brand_id": f"brand-{n % BRANDS}", "status": "open"},
                ),
                "one label": await timed(
                    http, "/v1/conversations", lambda n: {"label": LABELS[n % len(LABELS)]}
                ),
                "one team, open": await timed(
                    http,
                    "/v1/conversations",
                    lambda n: {"team_id": str(team_ids[n % TEAMS]), "status": "open"},
                ),
                "negative, open": await timed(
                    http,
                    "/v1/conversations",
                    lambda _n: {"sentiment": "negative", "status": "open"},
                ),
                "waiting": await timed(http, "/v1/conversations", lambda _n: {"waiting": "true"}),
                "overdue": await timed(http, "/v1/conversations", lambda _n: {"overdue": "true"}),
                "overdue, open": await timed(
                    http, "/v1/conversations", lambda _n: {"overdue": "true", "status": "open"}
                ),
                "open, second page": await timed(
                    http, "/v1/conversations", lambda _n: {"status": "open", "cursor": cursor}
                ),
                "counts by status": await timed(http, "/v1/conversations/counts", lambda _n: {}),
                "counts, one brand": await timed(
                    http, "/v1/conversations/counts", lambda n: {"brand_id": f"brand-{n % BRANDS}"}
                ),
                "counts, one team": await timed(
                    http,
                    "/v1/conversations/counts",
                    lambda n: {"team_id": str(team_ids[n % TEAMS])},
                ),
                "counts, negative": await timed(
                    http, "/v1/conversations/counts", lambda _n: {"sentiment": "negative"}
                ),
                "counts, overdue": await timed(
                    http, "/v1/conversations/counts", lambda _n: {"overdue": "true"}
                ),
                "one intent, open": await timed(
                    http,
                    "/v1/conversations",
                    lambda n: {"intent": INTENT_NAMES[n % len(INTENT_NAMES)], "status": "open"},
                ),
                "one contact's conversations": await timed(
                    http,
                    "/v1/conversations",
                    lambda n: {"contact_id": bench_contact(1_000 + 7 * n)},
                ),
                "a contact's messages": await timed(
                    http,
                    lambda n: f"/v1/contacts/{bench_contact(1_000 + 7 * n)}/messages",
                    lambda _n: {},
                ),
                "contacts, one brand": await timed(
                    http, "/v1/contacts", lambda n: {"brand_id": f"brand-{n % BRANDS}"}
                ),
                "search, one word": await timed(
                    http,
                    "/v1/conversations/search",
                    lambda n: {"q": rng.choice(ENGLISH if n % 3 else FRENCH)},
                    SEARCHES,
                ),
                "search, two words": await timed(
                    http,
                    "/v1/conversations/search",
                    lambda n: {"q": " ".join(rng.sample(ENGLISH if n % 3 else FRENCH, 2))},
                    SEARCHES,
                ),
                "search, one brand": await timed(
                    http,
                    "/v1/conversations/search",
                    lambda n: {
                        "q": " ".join(rng.sample(ENGLISH if n % 3 else FRENCH, 2)),
                        "brand_id": f"brand-{n % BRANDS}",
                    },
                    SEARCHES,
                ),
            }
            http.headers["Authorization"] = f"Bearer {own_key}"
            found["mine, open"] = await timed(
                http, "/v1/conversations", lambda _n: {"assignee": "me", "status": "open"}
            )
            found["counts, mine"] = await timed(
                http, "/v1/conversations/counts", lambda _n: {"assignee": "me"}
            )
    return found


async def run(database_url: str, bootstrap: str) -> dict[str, Any]:
    engine = create_engine(database_url, pool_size=2, app_name="bench-inbox")
    try:
        org_key, own_key, member_ids = await people(engine)
        print(f"loading {CONVERSATIONS:,} conversations, {MESSAGES:,} messages", flush=True)
        loaded = await load(engine, member_ids)
    finally:
        await engine.dispose()
    return {
        "conversations": CONVERSATIONS,
        "messages": MESSAGES,
        "requests": REQUESTS,
        "searches": SEARCHES,
        **loaded,
        "views": await views(database_url, bootstrap, org_key, own_key),
    }


def main() -> None:
    migrations = [ROOT / "shared" / "alembic.ini", ROOT / "services" / "inbox" / "alembic.ini"]
    with servers(migrate=migrations) as running:
        report = asyncio.run(run(running.database_url, running.bootstrap))
    report = {"code": code_version(), "date": time.strftime("%Y-%m-%d"), **report}
    print(f"\n{'view':<22} {'p50 ms':>8} {'p99 ms':>8}   (target p99 < 100 ms)")
    for name, figures in report["views"].items():
        print(f"{name:<22} {figures['p50_ms']:>8} {figures['p99_ms']:>8}")
    print(f"load: {report['load_seconds']} s")
    Path(RESULTS).write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
