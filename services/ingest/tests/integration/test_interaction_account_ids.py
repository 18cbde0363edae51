"""Interactions filed for a connected account carry the network's id of that account in their
events (analytics cuts its figures per account with it)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import partial

import pytest
from sqlalchemy import select

from beacon_shared.contracts.common import Author, Network
from beacon_shared.contracts.ingest import CommentReceived, EngagementRecorded, InteractionKind
from beacon_shared.events import decode
from ingest.accounts.schemas import ResolvedAccount
from ingest.db import outbox
from ingest.interactions import service
from ingest.interactions.interaction import Interaction
from ingest.webhooks.intake import file_interactions

pytestmark = pytest.mark.integration


def item(external_id: str, kind: InteractionKind) -> Interaction:
    return Interaction(
        network=Network.facebook,
        kind=kind,
        external_id=external_id,
        thread_external_id="post-1",
        author=Author(network_id="u-1"),
        created_at=datetime(2026, 11, 24, 10, tzinfo=UTC),
    )


async def test_filed_interactions_name_the_account_s_external_id(db_session, unique):
    tenant = unique("tenant")
    account = ResolvedAccount(
        account_id=uuid.uuid4(), tenant_id=tenant, brand_id="acme", status="active"
    )

    async def resolve(*, network: Network, external_account_id: str) -> ResolvedAccount:
        return account

    await file_interactions(
        {
            (Network.facebook, "page-42"): [
                item("c-1", InteractionKind.comment),
                item("r-1", InteractionKind.reaction),
            ]
        },
        resolve=resolve,
        accept=partial(service.accept, db_session),
    )

    staged = [
        decode(value)
        for value in await db_session.scalars(
            select(outbox.c.value).where(outbox.c.value.contains(tenant.encode()))
        )
    ]
    by_type = {envelope.type: envelope for envelope in staged}
    comment = by_type[CommentReceived.event_type].payload(CommentReceived)
    reaction = by_type[EngagementRecorded.event_type].payload(EngagementRecorded)
    assert (comment.account_id, comment.account_external_id) == (str(account.account_id), "page-42")
    assert reaction.account_external_id == "page-42"
