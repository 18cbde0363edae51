"""Every token and secret of a full run — each network connected, a refusal, a refresh — is in no
API answer, no redirect, no log line (at DEBUG, with request lines), no staged event and no audit
entry: only sealed, in their columns and in events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from beacon_shared.db import create_sessionmaker
from services.workspace.tests.connections.conftest import connections_settings, outcome
from services.workspace.tests.connections.fake_oauth import (
    LINKEDIN_CLIENT_SECRET,
    META_APP_SECRET,
    SECRETS,
    X_CLIENT_SECRET,
)
from workspace.audit.models import audit_entry
from workspace.config import Settings
from workspace.connections.apps import http_client
from workspace.connections.models import connected_account
from workspace.connections.refresh import Refresher

pytestmark = pytest.mark.integration
PASSWORD = "abcd-efgh-ijkl-mnop"


async def test_no_secret_reaches_an_answer_a_log_an_event_or_the_audit(
    harness, networks, engine, settings_for, capfd
):
    loud = {"log_requests": True, "log_level": "DEBUG"}
    seen: list[str] = []
    async with harness(**loud) as h:
        for network, body in (
            ("facebook", {}),
            ("x", {}),
            ("linkedin", {}),
            ("mastodon", {"instance": networks.mastodon.url}),
        ):
            back = await h.connect(network, **body)
            assert outcome(back)["connection"] == "connected"
            seen.append(back.headers["location"])
        for password in (PASSWORD, "wrong-pass-word-0000"):
            answer = await h.http.post(
                "/v1/brands/brand-1/connections/bluesky",
                json={"handle": "brand.bsky.social", "app_password": password},
            )
            seen.append(answer.text)
        networks.x.token_error = "invalid_grant"
        seen.append((await h.connect("x", brand="brand-2")).headers["location"])
        networks.x.token_error = None
        listed = await h.http.get("/v1/connected-accounts")
        seen.append(listed.text)
        seen += [
            (await h.http.get(f"/v1/connected-accounts/{a['id']}")).text
            for a in listed.json()["items"]
        ]
        x_account = next(a["id"] for a in listed.json()["items"] if a["network"] == "x")
        async with engine.begin() as conn:
            await conn.execute(
                update(connected_account)
                .where(connected_account.c.id == x_account)
                .values(access_expires_at=datetime.now(UTC) + timedelta(seconds=30))
            )
        settings = settings_for(Settings, **connections_settings(networks, **loud))
        async with http_client(settings) as http:
            assert (
                "refreshed"
                in await Refresher(create_sessionmaker(engine), settings, http).refresh_due()
            )
        staged = await h.raw_outbox()
        async with engine.connect() as conn:
            audit = [
                str(detail)
                for (detail,) in await conn.execute(
                    select(audit_entry.c.detail).where(audit_entry.c.tenant_id == h.tenant_id)
                )
            ]
    printed = capfd.readouterr()
    haystack = "\n".join([*seen, *audit, printed.out, printed.err])
    secrets = [*SECRETS.issued, META_APP_SECRET, X_CLIENT_SECRET, LINKEDIN_CLIENT_SECRET, PASSWORD]

    assert len(SECRETS.issued) > 10
    assert "connection.completed" in printed.out + printed.err  # the logs were captured
    for secret in secrets:
        assert secret not in haystack, secret[:12]
        assert secret.encode() not in staged, secret[:12]
