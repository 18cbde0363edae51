"""Comments' hashtags and keywords are counted per brand and hour, once per comment."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from analytics.listening.handlers import comment_received
from analytics.listening.models import term_hour
from beacon_shared.contracts.common import Author, Network
from beacon_shared.contracts.ingest import CommentReceived, InteractionKind
from beacon_shared.events import Envelope

pytestmark = pytest.mark.integration

AT = datetime(2026, 11, 24, 10, 15, tzinfo=UTC)
HOUR = datetime(2026, 11, 24, 10, tzinfo=UTC)


def comment(
    tenant_id: str,
    text: str,
    *,
    kind: InteractionKind = InteractionKind.comment,
    created_at: datetime = AT,
    received_at: datetime | None = None,
    brand_id: str | None = "brand-a",
) -> Envelope:
    payload = CommentReceived(
        interaction_id=uuid.uuid4(),
        brand_id=brand_id,
        network=Network.mastodon,
        kind=kind,
        external_id=uuid.uuid4().hex,
        author=Author(network_id="fan"),
        text=text,
        created_at=created_at,
        received_at=received_at or created_at + timedelta(seconds=5),
    )
    return Envelope.build(payload, tenant_id=tenant_id, subject="c", source="/beacon/ingest")


async def terms(session, tenant_id: str) -> dict[tuple[str, str, datetime], int]:
    h = term_hour.c
    rows = await session.execute(
        select(h.brand_id, h.term, h.hour_start, h.count).where(
            h.tenant_id == tenant_id, h.source == "comment"
        )
    )
    return {(r.brand_id, r.term, r.hour_start): r.count for r in rows}


@pytest.fixture
def tenant(unique) -> str:
    return unique("tenant")


async def test_each_comment_counts_its_terms_once_in_its_hour(db_session, tenant):
    await comment_received(
        db_session,
        [
            comment(tenant, "Refund please #refund #REFUND refund"),
            comment(tenant, "Still waiting for my refund", created_at=AT + timedelta(minutes=40)),
            comment(tenant, "refund!!", created_at=AT + timedelta(hours=1), brand_id=None),
        ],
    )

    assert await terms(db_session, tenant) == {
        ("brand-a", "#refund", HOUR): 1,
        ("brand-a", "refund", HOUR): 2,
        ("brand-a", "please", HOUR): 1,
        ("brand-a", "still", HOUR): 1,
        ("brand-a", "waiting", HOUR): 1,
        ("", "refund", HOUR + timedelta(hours=1)): 1,
    }


async def test_later_batches_add_up(db_session, tenant):
    await comment_received(db_session, [comment(tenant, "outage")])
    await comment_received(db_session, [comment(tenant, "outage again"), comment(tenant, "outage")])

    assert (await terms(db_session, tenant))[("brand-a", "outage", HOUR)] == 3


async def test_direct_messages_are_private_and_not_counted(db_session, tenant):
    await comment_received(
        db_session, [comment(tenant, "my secret order", kind=InteractionKind.direct_message)]
    )
    assert await terms(db_session, tenant) == {}


async def test_a_comment_older_than_the_lateness_horizon_is_left_out(db_session, tenant):
    await comment_received(
        db_session,
        [comment(tenant, "ancient", created_at=AT - timedelta(days=31), received_at=AT)],
    )
    assert await terms(db_session, tenant) == {}
