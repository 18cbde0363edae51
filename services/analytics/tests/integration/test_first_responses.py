"""First-response time: the first successful reply to each comment, counted once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from beacon_shared.contracts.ingest import ActionOutcome

pytestmark = pytest.mark.integration

COMMENTED = datetime(2026, 11, 24, 10, 0, 5, tzinfo=UTC)


async def care_counts(rollups, session, tenant):
    rows = await rollups(session, tenant, grain="minute")
    return {
        (metric, bucket.minute): value
        for (_, _, _, bucket, metric), value in rows.items()
        if metric.startswith("first_response")
    }


async def test_only_the_first_successful_reply_counts_with_its_delay(
    db_session, events, rollups, consume
):
    first, second = uuid.uuid4(), uuid.uuid4()
    at = COMMENTED.replace(second=0)
    batch = [
        events.reply_completed(
            interaction_id=first,
            commented_at=COMMENTED,
            completed_at=COMMENTED + timedelta(seconds=90),
        ),
        # A later reply to the same comment is not its first response.
        events.reply_completed(
            interaction_id=first,
            commented_at=COMMENTED,
            completed_at=COMMENTED + timedelta(minutes=5),
        ),
        events.reply_completed(
            interaction_id=second,
            commented_at=COMMENTED,
            completed_at=COMMENTED + timedelta(seconds=30),
        ),
        # Failed replies and hides are no response.
        events.reply_completed(
            interaction_id=uuid.uuid4(),
            commented_at=COMMENTED,
            completed_at=COMMENTED,
            outcome=ActionOutcome.failed,
        ),
        events.reply_completed(
            interaction_id=uuid.uuid4(),
            commented_at=COMMENTED,
            completed_at=COMMENTED,
            action="hide",
        ),
    ]
    await consume(db_session, batch)
    # Redelivered, or a reply recorded later: nothing counts twice.
    await consume(db_session, batch[:1])

    # Both counted at their comment's minute (the response rate's cohort), delays summed.
    assert await care_counts(rollups, db_session, events.tenant_id) == {
        ("first_responses", at.minute): 2,
        ("first_response.seconds", at.minute): 120,
    }
