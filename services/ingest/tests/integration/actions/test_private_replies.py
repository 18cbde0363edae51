"""Replies to private messages: Messenger and Instagram through the Send API within Meta's
window (24 hours, or 7 days tagged HUMAN_AGENT where the brand allows it), X through its DM
endpoint; refused before any call outside the window or on a network without a DM API, and
hides or deletes of a private message refused as unsupported."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from beacon_shared.contracts.common import Author, Network
from beacon_shared.contracts.inbox import ReplyRequested
from beacon_shared.contracts.ingest import InteractionKind
from beacon_shared.contracts.moderation import NetworkAction
from beacon_shared.events import Envelope
from ingest.actions.handlers import handle_reply_requested
from ingest.interactions import service as interactions
from ingest.interactions.interaction import Interaction
from services.ingest.tests.integration.actions.conftest import action_request
from services.ingest.tests.integration.actions.test_graph_actions import (
    HOST as GRAPH_HOST,
)
from services.ingest.tests.integration.actions.test_graph_actions import (
    TOKEN as GRAPH_TOKEN,
)
from services.ingest.tests.integration.actions.test_graph_actions import (
    FakeGraph,
    graph_error,
)
from services.ingest.tests.integration.actions.test_x_actions import HOST as X_HOST
from services.ingest.tests.integration.actions.test_x_actions import TOKEN as X_TOKEN
from services.ingest.tests.integration.actions.test_x_actions import FakeX

pytestmark = pytest.mark.integration

PERSON = "5566778899"


@pytest.fixture
def ask_reply(sessionmaker, tenant, clock):
    """Deliver (and commit) the inbox's private replies as ingest's consumer would."""

    async def ask(
        account: Any,
        *,
        network: Network,
        wrote_ago: timedelta,
        human_agent: bool = False,
        reply_text: str = "Yes, open 10 to 18 on Sunday.",
    ) -> ReplyRequested:
        request = ReplyRequested(
            action_id=uuid.uuid4(),
            interaction_id=uuid.uuid4(),
            brand_id="brand-1",
            account_id=str(account.id),
            network=network,
            external_id="m_received",
            thread_external_id=f"dm:{account.external_account_id}:{PERSON}",
            action=NetworkAction.reply,
            reply_text=reply_text,
            requested_by="user:7d3c",
            comment_created_at=clock() - wrote_ago,
            requested_at=clock(),
            conversation_id=uuid.uuid4(),
            kind=InteractionKind.direct_message,
            recipient_external_id=PERSON,
            last_inbound_at=clock() - wrote_ago,
            human_agent=human_agent,
        )
        envelope = Envelope.build(
            request, tenant_id=tenant, subject=str(request.action_id), source="/beacon/inbox"
        )
        async with sessionmaker() as session, session.begin():
            await handle_reply_requested(session, [envelope])
        return request

    return ask


async def test_a_messenger_reply_within_24_hours_is_a_response_through_the_send_api(
    connect, ask_reply, executor_for, stored, completed_events
):
    page = await connect(Network.facebook, {"access_token": GRAPH_TOKEN})
    graph = FakeGraph()
    request = await ask_reply(page, network=Network.facebook, wrote_ago=timedelta(hours=3))
    executor, _ = executor_for({GRAPH_HOST: graph.app()})

    await executor.run_due()

    [(account, sent)] = graph.messages
    assert account == page.external_account_id
    assert sent == {
        "recipient": {"id": PERSON},
        "message": {"text": "Yes, open 10 to 18 on Sunday."},
        "messaging_type": "RESPONSE",
    }
    assert graph.replies == []  # never sent as a comment reply
    row = await stored(request.action_id)
    assert (row.status, row.reply_external_id) == ("succeeded", "m_1")
    [(_, event)] = await completed_events(request.action_id)
    assert event.data["reply_text"] == "Yes, open 10 to 18 on Sunday."
    assert event.data["kind"] == "direct_message"
    assert event.data["requested_by"] == "user:7d3c"


async def test_an_instagram_reply_after_a_day_goes_tagged_human_agent_where_the_brand_allows(
    connect, ask_reply, executor_for, stored
):
    account = await connect(Network.instagram, {"access_token": GRAPH_TOKEN})
    graph = FakeGraph()
    request = await ask_reply(
        account, network=Network.instagram, wrote_ago=timedelta(days=3), human_agent=True
    )
    executor, _ = executor_for({GRAPH_HOST: graph.app()})

    await executor.run_due()

    [(_, sent)] = graph.messages
    assert (sent["messaging_type"], sent["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")
    assert (await stored(request.action_id)).status == "succeeded"


@pytest.mark.parametrize(
    ("wrote_ago", "human_agent", "span"),
    [(timedelta(hours=25), False, "24-hour"), (timedelta(days=8), True, "7-day HUMAN_AGENT")],
)
async def test_a_reply_past_the_window_fails_before_any_call_saying_when_it_closed(
    connect, ask_reply, executor_for, stored, completed_events, clock, wrote_ago, human_agent, span
):
    page = await connect(Network.facebook, {"access_token": GRAPH_TOKEN})
    graph = FakeGraph()
    request = await ask_reply(
        page, network=Network.facebook, wrote_ago=wrote_ago, human_agent=human_agent
    )
    executor, _ = executor_for({GRAPH_HOST: graph.app()})

    await executor.run_due()

    assert graph.calls == 0
    row = await stored(request.action_id)
    assert (row.status, row.attempts) == ("failed", 0)
    window = timedelta(days=7) if human_agent else timedelta(hours=24)
    closed = (request.last_inbound_at + window).isoformat()
    assert f"facebook's {span} messaging window closed at {closed}" in row.last_error
    [(_, event)] = await completed_events(request.action_id)
    assert event.data["outcome"] == "failed"


async def test_the_window_closing_while_a_reply_waits_to_be_retried_fails_it_then(
    connect, ask_reply, executor_for, stored, clock
):
    page = await connect(Network.facebook, {"access_token": GRAPH_TOKEN})
    graph = FakeGraph()
    graph.answers = [(503, {}, {})]
    request = await ask_reply(
        page, network=Network.facebook, wrote_ago=timedelta(hours=24) - timedelta(seconds=5)
    )
    executor, _ = executor_for({GRAPH_HOST: graph.app()})

    await executor.run_due()
    clock.advance(3600)
    await executor.run_due()

    row = await stored(request.action_id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert "24-hour messaging window closed" in row.last_error
    assert graph.calls == 1


async def test_meta_refusing_the_send_fails_it_with_meta_s_reason(
    connect, ask_reply, executor_for, stored
):
    page = await connect(Network.facebook, {"access_token": GRAPH_TOKEN})
    graph = FakeGraph()
    graph.answers = [
        (
            400,
            graph_error(
                10,
                "(#10) This message is sent outside of allowed window.",
                subcode=2018278,
            ),
            {},
        )
    ]
    request = await ask_reply(page, network=Network.facebook, wrote_ago=timedelta(hours=1))
    executor, _ = executor_for({GRAPH_HOST: graph.app()})

    await executor.run_due()

    row = await stored(request.action_id)
    assert row.status == "failed"
    assert "outside Meta's messaging window" in row.last_error


async def test_an_x_direct_message_is_answered_in_its_conversation_whenever_it_came(
    connect, ask_reply, executor_for, stored
):
    brand = await connect(Network.x, {"access_token": X_TOKEN})
    x = FakeX()
    request = await ask_reply(brand, network=Network.x, wrote_ago=timedelta(days=30))
    executor, _ = executor_for({X_HOST: x.app()})

    await executor.run_due()

    assert x.messages == [(PERSON, {"text": "Yes, open 10 to 18 on Sunday."})]
    assert x.posts == []
    row = await stored(request.action_id)
    assert (row.status, row.reply_external_id) == ("succeeded", "150001")


async def test_a_private_reply_on_a_network_without_a_dm_api_is_unsupported(
    connect, ask_reply, executor_for, stored
):
    account = await connect(
        Network.mastodon, {"base_url": "https://mastodon.test", "access_token": "t"}
    )
    request = await ask_reply(account, network=Network.mastodon, wrote_ago=timedelta(hours=1))
    executor, _ = executor_for({})

    await executor.run_due()

    row = await stored(request.action_id)
    assert row.status == "unsupported"
    assert "Mastodon direct messages" in row.last_error


@pytest.mark.parametrize(
    ("action", "done"), [(NetworkAction.hide, "hidden"), (NetworkAction.delete, "deleted")]
)
async def test_hiding_or_deleting_a_private_message_is_unsupported_not_sent_as_a_comment_action(
    connect, sessionmaker, tenant, request_action, executor_for, stored, action, done
):
    page = await connect(Network.facebook, {"access_token": GRAPH_TOKEN})
    async with sessionmaker() as session, session.begin():
        [received] = await interactions.accept(
            session,
            tenant_id=tenant,
            items=[
                Interaction(
                    network=Network.facebook,
                    kind=InteractionKind.direct_message,
                    external_id=f"m_{uuid.uuid4().hex}",
                    thread_external_id=f"dm:{page.external_account_id}:{PERSON}",
                    author=Author(network_id=PERSON),
                    text="spam spam",
                    created_at=datetime.now(UTC),
                )
            ],
        )
    request = action_request(
        network=Network.facebook,
        action=action,
        external_id=received.external_id,
        account_id=page.id,
    ).model_copy(update={"interaction_id": received.id})
    graph = FakeGraph()
    await request_action(request)
    executor, _ = executor_for({GRAPH_HOST: graph.app()})

    await executor.run_due()

    row = await stored(request.action_id)
    assert (row.status, row.kind, row.recipient_external_id) == (
        "unsupported",
        "direct_message",
        PERSON,
    )
    assert row.last_error == f"a private message cannot be {done} on facebook: only comments can"
    assert graph.calls == 0
    async with sessionmaker() as session, session.begin():
        await session.execute(
            text("DELETE FROM ingest.interaction WHERE id = :id"), {"id": received.id}
        )
