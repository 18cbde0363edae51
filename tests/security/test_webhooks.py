"""The networks' webhook receivers, as an attacker would try them: an oversized body is refused
before its signature is even computed, signed or not, and nothing is stored."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from sqlalchemy import func, select

from ingest.interactions.models import interaction
from tests.service_apps import META_SECRET, X_SECRET

pytestmark = pytest.mark.integration

LIMIT = 1_048_576  # MAX_BODY_BYTES' default


def oversized() -> bytes:
    return json.dumps({"object": "page", "entry": [], "padding": "x" * LIMIT}).encode()


@pytest.mark.parametrize(
    ("path", "header", "secret"),
    [
        ("/v1/webhooks/meta", "x-hub-signature-256", META_SECRET),
        ("/v1/webhooks/x", "x-twitter-webhooks-signature", X_SECRET),
    ],
)
async def test_an_oversized_delivery_is_a_413_problem_signed_or_not(
    path, header, secret, build_app, api_client, engine
):
    body = oversized()
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    async with engine.connect() as conn:
        before = await conn.scalar(select(func.count()).select_from(interaction))
    async with api_client(build_app("ingest")) as http:
        unsigned = await http.post(path, content=body, headers={"content-type": "application/json"})
        signed = await http.post(
            path,
            content=body,
            headers={"content-type": "application/json", header: f"sha256={digest}"},
        )
    async with engine.connect() as conn:
        after = await conn.scalar(select(func.count()).select_from(interaction))

    assert (unsigned.status_code, signed.status_code) == (413, 413)
    assert signed.headers["content-type"] == "application/problem+json"
    assert after == before
