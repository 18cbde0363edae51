"""Moderation fixtures: comment.received envelopes as ingest would publish them, and members of an
organization acting with their personal tokens."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from beacon_shared.contracts.common import Author, Network
from beacon_shared.contracts.ingest import CommentReceived, InteractionKind
from beacon_shared.db import create_sessionmaker
from beacon_shared.events import Envelope
from moderation.decisions.service import ReceivedComment
from moderation.pipeline import service as pipeline
from moderation.rules import Verdict

CommentFactory = Callable[..., CommentReceived]
EnvelopeFactory = Callable[..., Envelope]


def make_comment(text: str = "Where can I buy this?", **overrides: object) -> CommentReceived:
    """A valid CommentReceived payload."""
    # Times come from the clock the code reads: clues look back from now (the copies clue: 24 h).
    now = datetime.now(UTC)
    values: dict[str, object] = {
        "interaction_id": uuid.uuid4(),
        "brand_id": "brand-1",
        "network": Network.instagram,
        "kind": InteractionKind.comment,
        "external_id": f"c-{uuid.uuid4().hex[:8]}",
        "thread_external_id": "post-1",
        "author": Author(network_id="u-1", handle="alice"),
        "text": text,
        "created_at": now - timedelta(seconds=1),
        "received_at": now,
    }
    values.update(overrides)
    return CommentReceived.model_validate(values)


def make_envelope(comment: CommentReceived, *, tenant_id: str) -> Envelope:
    """The comment.received envelope ingest would stage for `comment`."""
    return Envelope.build(
        comment,
        tenant_id=tenant_id,
        subject=str(comment.interaction_id),
        source="/beacon/ingest",
        correlation_id=f"corr-{uuid.uuid4().hex[:8]}",
    )


@pytest.fixture
def comment() -> CommentFactory:
    """`comment(text, **fields)` builds a CommentReceived."""
    return make_comment


@pytest.fixture
def envelope_of() -> EnvelopeFactory:
    """`envelope_of(comment, tenant_id=...)` wraps it as ingest would."""
    return make_envelope


class FixedDecider:
    """Decides every comment the same way: what follows a decision does not depend on the rules."""

    def __init__(self, verdict: Verdict) -> None:
        self.verdict = verdict

    async def decide(
        self, session: AsyncSession, received: Sequence[ReceivedComment]
    ) -> list[Verdict]:
        return [self.verdict for _ in received]


@pytest.fixture
def moderate(engine: AsyncEngine) -> Callable[..., Awaitable[CommentReceived]]:
    """`await moderate(tenant, verdict, text, **fields)` moderates one comment and commits."""

    async def run(
        tenant: str, verdict: Verdict, text: str = "You people are useless", **fields: object
    ) -> CommentReceived:
        received = make_comment(text, **fields)
        envelope = make_envelope(received, tenant_id=tenant)
        async with create_sessionmaker(engine)() as session, session.begin():
            await pipeline.moderate(
                session, [ReceivedComment(envelope, received)], decider=FixedDecider(verdict)
            )
        return received

    return run


@pytest.fixture
def fixed_decider() -> type[FixedDecider]:
    """`fixed_decider(verdict)`: a decider giving every comment that verdict."""
    return FixedDecider
