"""Replies Beacon posted (ingest.action.completed) become first-response times and counters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from analytics.counters import service as counters
from analytics.counters.metrics import (
    FIRST_RESPONSE_SECONDS,
    FIRST_RESPONSES,
    CounterKey,
    minute_bucket,
)
from analytics.responses import repository
from beacon_shared.contracts.ingest import ActionCompleted, ActionOutcome
from beacon_shared.events import Envelope


async def action_completed(session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
    """Keep each comment's first successful reply; count it and its delay once.

    The delay runs from the comment's creation to the reply's completion, in whole seconds, and
    is counted in the minute of the reply: `first_response.seconds / first_responses` over a
    range is the mean first-response time of the replies made in it.
    """
    rows: dict[tuple[str, Any], dict[str, Any]] = {}
    for envelope in envelopes:
        done = envelope.payload(ActionCompleted)
        if done.action != "reply" or done.outcome is not ActionOutcome.succeeded:
            continue
        key = (envelope.tenantid, done.interaction_id)
        delay = max(0.0, (done.completed_at - done.comment_created_at).total_seconds())
        earlier = rows.get(key)
        if earlier is None or done.completed_at < earlier["responded_at"]:
            rows[key] = {
                "tenant_id": envelope.tenantid,
                "interaction_id": done.interaction_id,
                "brand_id": done.brand_id or "",
                "network": done.network.value,
                "commented_at": done.comment_created_at,
                "responded_at": done.completed_at,
                "seconds": delay,
            }
    if not rows:
        return
    inserted = await repository.insert_new(session, list(rows.values()))
    firsts = [row for key, row in rows.items() if key in inserted]
    keys: list[CounterKey] = []
    delays: dict[CounterKey, int] = {}
    for row in firsts:
        bucket = minute_bucket(row["responded_at"])
        keys.append(CounterKey(row["tenant_id"], row["brand_id"], FIRST_RESPONSES, bucket))
        total = CounterKey(row["tenant_id"], row["brand_id"], FIRST_RESPONSE_SECONDS, bucket)
        delays[total] = delays.get(total, 0) + round(row["seconds"])
    await counters.record(session, keys, amounts=delays)
