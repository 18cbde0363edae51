"""Inbox fixtures: interactions and decisions as ingest and moderation publish them, filed the way
the worker files them, the API on the test database, and members with personal tokens."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from beacon_shared.contracts.common import Author, Network
from beacon_shared.contracts.ingest import CommentReceived, InteractionKind
from beacon_shared.contracts.moderation import CommentModerated, ModerationAction
from beacon_shared.db import create_sessionmaker
from beacon_shared.events import Envelope
from inbox.config import Settings
from inbox.conversations.handlers import comment_moderated, comment_received
from inbox.main import create_app


def make_comment(text: str = "Where can I buy this?", **overrides: object) -> CommentReceived:
    """A comment.received payload; times from the clock the code reads."""
    now = datetime.now(UTC)
    values: dict[str, object] = {
        "interaction_id": uuid.uuid4(),
        "brand_id": "brand-1",
        "account_id": "account-1",
        "network": Network.instagram,
        "kind": InteractionKind.comment,
        "external_id": f"c-{uuid.uuid4().hex[:8]}",
        "thread_external_id": "post-1",
        "author": Author(network_id="u-1", handle="alice", display_name="Alice"),
        "text": text,
        "created_at": now - timedelta(seconds=1),
        "received_at": now,
    }
    values.update(overrides)
    return CommentReceived.model_validate(values)


def make_decision(
    comment: CommentReceived, action: ModerationAction = ModerationAction.allow, **overrides: object
) -> CommentModerated:
    """moderation's comment.moderated for `comment`."""
    values: dict[str, object] = {
        "decision_id": uuid.uuid4(),
        "interaction_id": comment.interaction_id,
        "brand_id": comment.brand_id,
        "network": comment.network,
        "external_id": comment.external_id,
        "action": action,
        "decided_by": "rule:default",
        "decided_at": datetime.now(UTC),
        "language": "en",
    }
    values.update(overrides)
    return CommentModerated.model_validate(values)


def envelope(payload: CommentReceived | CommentModerated, *, tenant_id: str) -> Envelope:
    """The envelope its producer would stage."""
    source = "/beacon/ingest" if isinstance(payload, CommentReceived) else "/beacon/moderation"
    return Envelope.build(payload, tenant_id=tenant_id, subject=str(uuid.uuid4()), source=source)


@pytest.fixture
def comment_for() -> Callable[..., CommentReceived]:
    """`comment_for(text, **fields)`: a comment.received payload, not filed."""
    return make_comment


@pytest.fixture
def receive(engine: AsyncEngine) -> Callable[..., Awaitable[CommentReceived]]:
    """`await receive(tenant, text, **fields)`: a comment filed by the worker's handler and
    committed."""

    async def run(
        tenant: str, text: str = "Where can I buy this?", **fields: Any
    ) -> CommentReceived:
        comment = make_comment(text, **fields)
        async with create_sessionmaker(engine)() as session, session.begin():
            await comment_received(session, envelope(comment, tenant_id=tenant))
        return comment

    return run


@pytest.fixture
def moderate(engine: AsyncEngine) -> Callable[..., Awaitable[CommentModerated]]:
    """`await moderate(tenant, comment, action, **fields)`: its decision handled and committed."""

    async def run(
        tenant: str,
        comment: CommentReceived,
        action: ModerationAction = ModerationAction.allow,
        **fields: Any,
    ) -> CommentModerated:
        decided = make_decision(comment, action, **fields)
        async with create_sessionmaker(engine)() as session, session.begin():
            await comment_moderated(session, envelope(decided, tenant_id=tenant))
        return decided

    return run


@pytest.fixture
async def tenant(unique: Callable[[str], str], register_brands: Any) -> str:
    """An organization with the brands `brand-1` and `brand-2`."""
    tenant = unique("tenant")
    await register_brands(tenant, "brand-1", "brand-2")
    return tenant


@pytest.fixture
async def http(settings_for: Any, api_client: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the inbox API, credentials never cached; pass `headers=auth(key)`."""
    app = create_app(settings_for(Settings, api_key_cache_seconds=0))
    async with api_client(app) as client:
        yield client


def auth(key: str) -> dict[str, str]:
    """The Authorization header of a key."""
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def as_key() -> Callable[[str], dict[str, str]]:
    """`headers=as_key(key)`."""
    return auth
