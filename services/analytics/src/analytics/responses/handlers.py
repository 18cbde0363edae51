"""Replies Beacon posted (ingest.action.completed) become first-response times and rollups."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from analytics.responses import repository
from analytics.rollups import metrics
from analytics.rollups.facts import Fact
from analytics.rollups.lateness import Placement
from beacon_shared.contracts.ingest import ActionCompleted, ActionOutcome
from beacon_shared.events import Envelope


async def action_completed(session: AsyncSession, envelopes: Sequence[Envelope]) -> list[Fact]:
    """Keep each comment's first successful reply; its facts (it and its delay) come once.

    The delay runs from the comment's creation to the reply's completion, in whole seconds, and
    both are counted at the comment's time: over a range, `first_responses` are the responses to
    its comments (the response rate's numerator) and `first_response.seconds / first_responses`
    their mean first-response time.
    """
    rows: dict[tuple[str, Any], dict[str, Any]] = {}
    received: dict[tuple[str, Any], datetime] = {}
    for envelope in envelopes:
        done = envelope.payload(ActionCompleted)
        if done.action != "reply" or done.outcome is not ActionOutcome.succeeded:
            continue
        key = (envelope.tenantid, done.interaction_id)
        delay = max(0.0, (done.completed_at - done.comment_created_at).total_seconds())
        earlier = rows.get(key)
        if earlier is None or done.completed_at < earlier["responded_at"]:
            received[key] = envelope.time
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
        return []
    inserted = await repository.insert_new(session, list(rows.values()))
    placement = Placement()
    facts: list[Fact] = []
    for key, row in rows.items():
        if key not in inserted:
            continue
        at = placement.place(row["tenant_id"], row["brand_id"], row["commented_at"], received[key])
        if at is None:
            continue
        tenant, brand, network = row["tenant_id"], row["brand_id"], row["network"]
        facts.append(Fact(tenant, brand, at, metrics.FIRST_RESPONSES, 1, network))
        facts.append(
            Fact(tenant, brand, at, metrics.FIRST_RESPONSE_SECONDS, round(row["seconds"]), network)
        )
    facts.extend(placement.policy_facts)
    return facts
