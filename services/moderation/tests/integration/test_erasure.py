"""An author's erasure: their comments and everything moderation kept about them deleted, another
author's untouched, and the counts reported."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import orjson
import pytest
from sqlalchemy import func, insert, select

from beacon_shared.contracts.common import Author, Network
from beacon_shared.contracts.moderation import ModerationAction
from beacon_shared.contracts.workspace import ErasureRequested
from beacon_shared.db import create_sessionmaker
from beacon_shared.events import Envelope
from moderation.audit.models import audit_entry
from moderation.comments.models import comment
from moderation.db import outbox
from moderation.decisions.models import decision
from moderation.learning.models import brand_label
from moderation.privacy.handlers import erasure_requested
from moderation.review.models import review_item
from moderation.rules import Verdict

pytestmark = pytest.mark.integration

ESCALATE = Verdict(ModerationAction.escalate, "classifier.v0", reasons=["toxicity>0.9"])
BOB = Author(network_id="u-2", handle="bob")


async def erase(engine, tenant, *, brand_id=None, author_id="u-1"):
    request = ErasureRequested(
        erasure_id=uuid.uuid4(),
        brand_id=brand_id,
        network=Network.instagram,
        author_id=author_id,
        requested_by="user:test",
        requested_at=datetime.now(UTC),
    )
    env = Envelope.build(
        request, tenant_id=tenant, subject=str(request.erasure_id), source="/beacon/workspace"
    )
    async with create_sessionmaker(engine)() as session, session.begin():
        await erasure_requested(session, env)
    async with engine.connect() as conn:
        value = await conn.scalar(
            select(outbox.c.value).where(outbox.c.key == str(request.erasure_id))
        )
    staged = orjson.loads(value)
    assert staged["type"] == "moderation.erasure.completed"
    return staged["data"]["erased"]


async def label(engine, tenant, interaction_id):
    async with create_sessionmaker(engine)() as session, session.begin():
        await session.execute(
            insert(brand_label).values(
                id=uuid.uuid4(),
                tenant_id=tenant,
                brand_id="brand-1",
                text="You people are useless",
                label="remove",
                source="review",
                interaction_id=interaction_id,
                labelled_by="user:test",
                labelled_at=datetime.now(UTC),
            )
        )


async def left(engine, tenant):
    async with engine.connect() as conn:
        return {
            name: await conn.scalar(
                select(func.count()).select_from(table).where(table.c.tenant_id == tenant)
            )
            for name, table in (
                ("comments", comment),
                ("decisions", decision),
                ("review_items", review_item),
                ("audit_entries", audit_entry),
                ("labels", brand_label),
            )
        }


class TestErasure:
    async def test_the_authors_comments_and_all_kept_about_them_go_and_others_stay(
        self, engine, unique, moderate
    ):
        tenant = unique("tenant")
        alices = await moderate(tenant, ESCALATE)
        await label(engine, tenant, alices.interaction_id)
        bobs = await moderate(tenant, ESCALATE, author=BOB)
        await label(engine, tenant, bobs.interaction_id)
        before = await left(engine, tenant)

        erased = await erase(engine, tenant)

        assert erased["comments"] == 1
        assert erased["decisions"] == 1
        assert erased["review_items"] == 1
        assert erased["labels"] == 1
        assert erased["audit_entries"] >= 1
        after = await left(engine, tenant)
        assert after == {name: before[name] - erased[name] for name in after}
        async with engine.connect() as conn:
            authors = (
                await conn.scalars(select(comment.c.author_id).where(comment.c.tenant_id == tenant))
            ).all()
        assert authors == ["u-2"]

    async def test_another_brand_is_left_alone(self, engine, unique, moderate):
        tenant = unique("tenant")
        await moderate(tenant, ESCALATE)
        await moderate(tenant, ESCALATE, brand_id="brand-2")

        erased = await erase(engine, tenant, brand_id="brand-2")

        assert erased["comments"] == 1
        assert (await left(engine, tenant))["comments"] == 1
