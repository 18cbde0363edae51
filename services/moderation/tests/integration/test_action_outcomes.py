"""Network action outcomes from ingest: recorded once on the request, and in the audit log."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.ingest import ActionCompleted, ActionOutcome
from beacon_shared.contracts.moderation import NetworkAction
from beacon_shared.events import Envelope
from moderation.actions import service as actions
from moderation.actions.handlers import action_completed
from moderation.actions.models import network_action
from moderation.audit.models import audit_entry

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


async def request_hide(session, tenant):
    target = actions.Target(
        tenant_id=tenant,
        interaction_id=uuid.uuid4(),
        brand_id="brand-1",
        account_id="acct-1",
        network=Network.facebook,
        external_id="123_456",
        thread_external_id="123",
        created_at=NOW,
    )
    (action_id,) = await actions.request_many(
        session, [actions.Request(target, NetworkAction.hide, "rule:default.spam")]
    )
    return target, action_id


def completed(target, action_id, outcome=ActionOutcome.succeeded, **fields):
    payload = ActionCompleted(
        action_id=action_id,
        interaction_id=target.interaction_id,
        brand_id=target.brand_id,
        account_id=target.account_id,
        network=target.network,
        external_id=target.external_id,
        action="hide",
        outcome=outcome,
        attempts=fields.pop("attempts", 1),
        requested_by="rule:default.spam",
        comment_created_at=NOW,
        completed_at=NOW,
        **fields,
    )
    return Envelope.build(
        payload, tenant_id=target.tenant_id, subject=str(action_id), source="/beacon/ingest"
    )


async def action_row(session, action_id):
    return (
        await session.execute(select(network_action).where(network_action.c.id == action_id))
    ).one()


async def audit_events(session, tenant):
    rows = await session.execute(
        select(audit_entry.c.event, audit_entry.c.detail)
        .where(audit_entry.c.tenant_id == tenant)
        .order_by(audit_entry.c.at)
    )
    return rows.all()


async def test_an_outcome_completes_the_request_once(db_session, unique):
    tenant = unique("tenant")
    target, action_id = await request_hide(db_session, tenant)
    assert (await action_row(db_session, action_id)).status == "requested"

    event = completed(target, action_id, ActionOutcome.failed, attempts=3, error="HTTP 500")
    await action_completed(db_session, [event])
    await action_completed(db_session, [completed(target, action_id)])  # a late duplicate

    row = await action_row(db_session, action_id)
    assert (row.status, row.attempts, row.error) == ("failed", 3, "HTTP 500")
    events = await audit_events(db_session, tenant)
    assert [e.event for e in events] == ["action.requested", "action.completed"]
    assert events[1].detail["outcome"] == "failed"


async def test_an_outcome_of_an_unknown_request_changes_nothing(db_session, unique):
    tenant = unique("tenant")
    target, _ = await request_hide(db_session, tenant)
    await action_completed(db_session, [completed(target, uuid.uuid4())])
    assert [e.event for e in await audit_events(db_session, tenant)] == ["action.requested"]


async def test_another_tenant_cannot_complete_a_request(db_session, unique):
    target, action_id = await request_hide(db_session, unique("tenant"))
    forged = completed(target, action_id).model_copy(update={"tenantid": unique("other")})
    await action_completed(db_session, [forged])
    assert (await action_row(db_session, action_id)).status == "requested"
