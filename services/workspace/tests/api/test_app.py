"""The workspace service's process: its API answers health on the test servers, and its worker
relays the workspace's outbox and reads the publisher's brand settings."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from workspace.db import SCHEMA, inbox, outbox
from workspace.worker import spec

pytestmark = pytest.mark.integration


async def test_the_api_is_alive_and_ready(workspace_app, api_client):
    async with api_client(workspace_app()) as http:
        alive = await http.get("/healthz")
        ready = await http.get("/readyz")
    assert alive.status_code == 200
    assert ready.status_code == 200, ready.text


async def test_the_schema_is_migrated_with_its_version_table(db_session):
    tables = set(
        (
            await db_session.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": SCHEMA}
            )
        ).scalars()
    )
    assert {"alembic_version", "outbox", "outbox_position"} <= tables


def test_the_worker_relays_the_outbox_and_adopts_older_brand_settings_and_accounts():
    worker = spec()
    assert worker.outbox is outbox
    assert worker.inbox is inbox
    assert [(c.group_id, list(c.topics), list(c.handlers)) for c in worker.consumers] == [
        ("workspace.brands", ["brand.configured"], ["publisher.brand.configured"]),
        (
            "workspace.accounts",
            ["account.handover", "account.refresh.requested"],
            [
                "ingest.account.handed_over",
                "publisher.account.handed_over",
                "ingest.account.refresh_requested",
                "publisher.account.refresh_requested",
            ],
        ),
        (
            "workspace.erasures",
            ["erasure.completed"],
            [
                "ingest.erasure.completed",
                "moderation.erasure.completed",
                "analytics.erasure.completed",
                "inbox.erasure.completed",
            ],
        ),
    ]
