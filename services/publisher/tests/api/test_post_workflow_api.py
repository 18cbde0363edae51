"""The post workflow over HTTP: drafts, review, approval, scheduling, edits, cancelling, retries."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from beacon_shared.contracts.publisher import PostScheduled
from beacon_shared.contracts.workspace import AccountKind
from beacon_shared.events import decode
from beacon_shared.testing.egress import LOCAL_EGRESS_SETTINGS
from publisher.authoring.models import post
from publisher.config import Settings
from publisher.db import outbox
from publisher.delivery.models import post_target
from publisher.main import create_app
from publisher.webhooks.models import webhook_delivery

pytestmark = pytest.mark.integration

APPROVAL = "brand-approval"
OPEN = "brand-open"
NEW_YORK = ZoneInfo("America/New_York")


def in_(**delta: float) -> datetime:
    return datetime.now(UTC) + timedelta(**delta)


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


@pytest.fixture
async def client(settings_for, api_client, issue_api_key, register_brands, configure_brand, unique):
    """The author's key (every scope), with the headers of Rita, an approver, and of a writer
    who may not approve, in the same organization."""
    tenant = unique("tenant")
    await register_brands(tenant, APPROVAL, OPEN, "brand-self")
    key = await issue_api_key(tenant)
    rita = await issue_api_key(tenant, scopes=("posts:read", "posts:approve"))
    writer = await issue_api_key(tenant, scopes=("posts:read", "posts:write"))
    settings = settings_for(
        Settings,
        credentials_key=Fernet.generate_key().decode(),
        **LOCAL_EGRESS_SETTINGS,
    )
    async with api_client(create_app(settings), key=key.key) as http:
        account = await http.post(
            "/v1/publishing-accounts",
            json={"network": "sandbox", "external_account_id": unique("acct")},
        )
        assert account.status_code == 201
        await configure_brand(tenant, APPROVAL, timezone="Europe/Paris", approval_required=True)
        http.tenant = tenant  # type: ignore[attr-defined]
        http.actor = f"key:{key.id}"  # type: ignore[attr-defined]
        http.rita = {"Authorization": f"Bearer {rita.key}"}  # type: ignore[attr-defined]
        http.rita_actor = f"key:{rita.id}"  # type: ignore[attr-defined]
        http.writer = {"Authorization": f"Bearer {writer.key}"}  # type: ignore[attr-defined]
        http.account = account.json()["id"]  # type: ignore[attr-defined]
        yield http


@pytest.fixture
async def forget_posts(engine: AsyncEngine) -> AsyncIterator[Callable[[str], None]]:
    """Posts made due now are deleted after the test, so no later scheduler publishes them."""
    post_ids: list[str] = []
    yield post_ids.append
    async with engine.begin() as conn:
        await conn.execute(delete(post).where(post.c.id.in_(post_ids)))


async def create(client, *, brand: str = OPEN, **fields: object) -> dict[str, object]:
    body: dict[str, object] = {
        "text": "Launch day!",
        "targets": [{"account_id": client.account}],
        "brand_id": brand,
        **{k: v.isoformat() if isinstance(v, datetime) else v for k, v in fields.items()},
    }
    response = await client.post("/v1/posts", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


async def changes(engine: AsyncEngine, post_id: object) -> list[PostScheduled]:
    """The post's staged `post.scheduled` events, oldest first."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(outbox.c.value)
            .where(outbox.c.key == str(post_id), outbox.c.topic == "post.scheduled")
            .order_by(outbox.c.id)
        )
        return [decode(value).payload(PostScheduled) for value in rows.scalars()]


def assert_wrong_state(response, status: str) -> None:
    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "post_wrong_state"
    assert f"is {status}" in problem["detail"]


class TestReview:
    async def test_a_draft_goes_through_review_and_changes_to_scheduled_at_its_time(
        self, client, engine
    ):
        when = in_(hours=2)
        draft = await create(client, brand=APPROVAL, submit="draft", scheduled_at=when)
        post_id = draft["id"]

        submitted = await client.post(f"/v1/posts/{post_id}/submit")
        no_comment = await client.post(
            f"/v1/posts/{post_id}/request-changes", json={}, headers=client.rita
        )
        sent_back = await client.post(
            f"/v1/posts/{post_id}/request-changes",
            json={"comment": "Add the venue."},
            headers=client.rita,
        )
        edited = await client.patch(
            f"/v1/posts/{post_id}", json={"text": "Launch day at the Old Mill!"}
        )
        resubmitted = await client.post(f"/v1/posts/{post_id}/submit")
        approved = await client.post(f"/v1/posts/{post_id}/approve", json={}, headers=client.rita)
        reviews = await client.get(f"/v1/posts/{post_id}/reviews")

        assert (draft["status"], {t["status"] for t in draft["targets"]}) == ("draft", {"draft"})
        assert submitted.json()["status"] == "in_review"
        assert {t["status"] for t in submitted.json()["targets"]} == {"in_review"}
        assert no_comment.status_code == 422
        assert sent_back.json()["status"] == "draft"
        assert edited.json()["status"] == "draft"
        assert resubmitted.json()["status"] == "in_review"
        assert approved.status_code == 200
        final = approved.json()
        assert final["status"] == "scheduled"
        assert final["text"] == "Launch day at the Old Mill!"
        assert at(final["scheduled_at"]) == when
        assert [(t["status"], at(t["due_at"])) for t in final["targets"]] == [("scheduled", when)]
        assert [(r["reviewer"], r["decision"], r["comment"]) for r in reviews.json()] == [
            (client.actor, "submitted", None),
            (client.rita_actor, "changes_requested", "Add the venue."),
            (client.actor, "submitted", None),
            (client.rita_actor, "approved", None),
        ]
        (event,) = await changes(engine, post_id)
        assert (event.change, event.scheduled_at) == ("scheduled", when)

    async def test_an_approved_post_without_a_time_waits_for_its_schedule(self, client, engine):
        created = await create(client, brand=APPROVAL, submit="review")
        post_id = created["id"]

        approved = await client.post(
            f"/v1/posts/{post_id}/approve", json={"comment": "Good."}, headers=client.rita
        )
        events_before = await changes(engine, post_id)
        when = in_(hours=3)
        scheduled = await client.post(
            f"/v1/posts/{post_id}/schedule", json={"scheduled_at": when.isoformat()}
        )

        assert (created["status"], created["scheduled_at"]) == ("in_review", None)
        assert approved.json()["status"] == "approved"
        assert {t["status"] for t in approved.json()["targets"]} == {"approved"}
        assert events_before == []
        assert scheduled.status_code == 200
        assert scheduled.json()["status"] == "scheduled"
        assert at(scheduled.json()["targets"][0]["due_at"]) == when
        (event,) = await changes(engine, post_id)
        assert (event.change, event.scheduled_at) == ("scheduled", when)

    async def test_a_brand_needing_approval_refuses_to_schedule_at_once(self, client, engine):
        response = await client.post(
            "/v1/posts",
            json={
                "text": "Launch day!",
                "targets": [{"account_id": client.account}],
                "brand_id": APPROVAL,
                "scheduled_at": in_(hours=1).isoformat(),
            },
        )

        assert response.status_code == 409
        assert response.json()["code"] == "approval_required"
        async with engine.connect() as conn:
            stored = await conn.scalar(select(post.c.id).where(post.c.tenant_id == client.tenant))
        assert stored is None

    async def test_a_draft_of_a_brand_needing_approval_cannot_skip_review(self, client):
        draft = await create(client, brand=APPROVAL, submit="draft")

        response = await client.post(
            f"/v1/posts/{draft['id']}/schedule",
            json={"scheduled_at": in_(hours=1).isoformat()},
        )

        assert response.status_code == 409
        assert response.json()["code"] == "approval_required"
        assert (await client.get(f"/v1/posts/{draft['id']}")).json()["status"] == "draft"

    async def test_a_draft_of_a_brand_without_approval_is_scheduled_directly(self, client, engine):
        draft = await create(client, submit="draft")

        response = await client.post(
            f"/v1/posts/{draft['id']}/schedule",
            json={"local_time": "2030-06-03T09:00", "timezone": "Europe/Paris"},
        )

        scheduled = response.json()
        assert response.status_code == 200
        assert scheduled["status"] == "scheduled"
        # Paris is two hours ahead of UTC in June.
        assert at(scheduled["scheduled_at"]) == datetime(2030, 6, 3, 7, tzinfo=UTC)
        assert (scheduled["timezone"], scheduled["local_scheduled_at"]) == (
            "Europe/Paris",
            "2030-06-03T09:00:00",
        )
        assert [e.change for e in await changes(engine, draft["id"])] == ["scheduled"]

    async def test_comments_change_nothing_and_join_the_history(self, client):
        created = await create(client, brand=APPROVAL, submit="review")
        post_id = created["id"]

        commented = await client.post(f"/v1/posts/{post_id}/comments", json={"comment": "Emoji?"})
        empty = await client.post(f"/v1/posts/{post_id}/comments", json={})
        reviews = (await client.get(f"/v1/posts/{post_id}/reviews")).json()

        assert commented.status_code == 201
        assert (commented.json()["decision"], commented.json()["comment"]) == ("comment", "Emoji?")
        assert empty.status_code == 422
        assert [r["decision"] for r in reviews] == ["submitted", "comment"]
        assert (await client.get(f"/v1/posts/{post_id}")).json()["status"] == "in_review"

    async def test_an_author_does_not_approve_their_own_post_and_a_writer_approves_none(
        self, client
    ):
        mine = await create(client, brand=APPROVAL, submit="review")

        by_author = await client.post(f"/v1/posts/{mine['id']}/approve", json={})
        by_writer = await client.post(
            f"/v1/posts/{mine['id']}/approve", json={}, headers=client.writer
        )
        naming_someone = await client.post(
            f"/v1/posts/{mine['id']}/approve",
            json={"reviewer": "someone else"},
            headers=client.rita,
        )
        state = (await client.get(f"/v1/posts/{mine['id']}")).json()

        assert mine["created_by"] == client.actor
        assert (by_author.status_code, by_author.json()["code"]) == (403, "self_approval_refused")
        assert by_writer.status_code == 403
        assert naming_someone.status_code == 422
        assert state["status"] == "in_review"

    async def test_a_brand_allowing_self_approval_lets_its_author_approve(
        self, client, configure_brand
    ):
        await configure_brand(
            client.tenant, "brand-self", approval_required=True, self_approval_allowed=True
        )
        mine = await create(client, brand="brand-self", submit="review")

        approved = await client.post(f"/v1/posts/{mine['id']}/approve", json={})
        reviews = (await client.get(f"/v1/posts/{mine['id']}/reviews")).json()

        assert approved.status_code == 200, approved.text
        assert [(r["reviewer"], r["decision"]) for r in reviews] == [
            (client.actor, "submitted"),
            (client.actor, "approved"),
        ]


class TestWrongState:
    async def test_transitions_from_the_wrong_state_are_409_problems(self, client):
        draft = await create(client, submit="draft")
        scheduled = await create(client, scheduled_at=in_(hours=1))
        cancelled = await create(client, scheduled_at=in_(hours=1))
        await client.post(f"/v1/posts/{cancelled['id']}/cancel")
        review = {"comment": "No."}
        rita = client.rita

        assert_wrong_state(
            await client.post(f"/v1/posts/{draft['id']}/approve", json=review, headers=rita),
            "draft",
        )
        assert_wrong_state(
            await client.post(
                f"/v1/posts/{draft['id']}/request-changes", json=review, headers=rita
            ),
            "draft",
        )
        assert_wrong_state(await client.post(f"/v1/posts/{scheduled['id']}/submit"), "scheduled")
        assert_wrong_state(
            await client.post(f"/v1/posts/{scheduled['id']}/approve", json=review, headers=rita),
            "scheduled",
        )
        assert_wrong_state(
            await client.patch(f"/v1/posts/{cancelled['id']}", json={"text": "Hi"}), "cancelled"
        )
        assert_wrong_state(
            await client.post(
                f"/v1/posts/{cancelled['id']}/schedule",
                json={"scheduled_at": in_(hours=2).isoformat()},
            ),
            "cancelled",
        )

    async def test_a_post_that_started_publishing_cannot_be_edited_or_moved(self, client, engine):
        created = await create(client, scheduled_at=in_(hours=1))
        async with engine.begin() as conn:
            await conn.execute(
                update(post_target)
                .where(post_target.c.post_id == created["id"])
                .values(status="publishing", attempts=1)
            )

        edited = await client.patch(f"/v1/posts/{created['id']}", json={"text": "Changed"})
        moved = await client.post(
            f"/v1/posts/{created['id']}/schedule",
            json={"scheduled_at": in_(hours=2).isoformat()},
        )

        assert_wrong_state(edited, "scheduled")
        assert_wrong_state(moved, "scheduled")
        assert (await client.get(f"/v1/posts/{created['id']}")).json()["text"] == "Launch day!"

    async def test_an_unknown_post_is_a_404_for_every_action(self, client):
        missing = uuid.uuid4()
        responses = [
            await client.post(f"/v1/posts/{missing}/submit"),
            await client.post(f"/v1/posts/{missing}/approve", json={}, headers=client.rita),
            await client.post(f"/v1/posts/{missing}/retry"),
            await client.patch(f"/v1/posts/{missing}", json={"text": "Hi"}),
            await client.get(f"/v1/posts/{missing}/reviews"),
        ]
        assert {(r.status_code, r.json()["code"]) for r in responses} == {(404, "post_not_found")}


class TestEdits:
    async def test_editing_a_scheduled_post_needing_approval_sends_it_back_to_review(
        self, client, engine
    ):
        created = await create(client, brand=APPROVAL, submit="review", scheduled_at=in_(hours=1))
        await client.post(f"/v1/posts/{created['id']}/approve", json={}, headers=client.rita)

        response = await client.patch(
            f"/v1/posts/{created['id']}", json={"text": "Launch day, take two!"}
        )

        edited = response.json()
        assert response.status_code == 200
        assert (edited["status"], edited["text"]) == ("in_review", "Launch day, take two!")
        assert {t["status"] for t in edited["targets"]} == {"in_review"}
        unscheduled = [
            (e.change, [str(t.target_id) for t in e.targets])
            for e in await changes(engine, created["id"])
        ]
        assert unscheduled == [
            ("scheduled", [created["targets"][0]["id"]]),
            ("cancelled", [created["targets"][0]["id"]]),
        ]
        reviews = (await client.get(f"/v1/posts/{created['id']}/reviews")).json()
        assert (reviews[-1]["decision"], reviews[-1]["comment"]) == ("submitted", "edited")

    async def test_editing_a_scheduled_post_of_an_open_brand_keeps_it_scheduled(
        self, client, engine
    ):
        created = await create(client, scheduled_at=in_(hours=1))

        response = await client.patch(
            f"/v1/posts/{created['id']}",
            json={"first_comment": "Tickets in the bio", "variants": {"x": {"text": "Short"}}},
        )

        edited = response.json()
        assert response.status_code == 200
        assert edited["status"] == "scheduled"
        assert (edited["text"], edited["first_comment"]) == ("Launch day!", "Tickets in the bio")
        assert edited["variants"]["x"]["text"] == "Short"
        assert [e.change for e in await changes(engine, created["id"])] == ["scheduled"]

    async def test_an_edit_the_network_would_refuse_is_a_422_and_changes_nothing(
        self, client, connect_replica
    ):
        x = await connect_replica(client.tenant, AccountKind.x_user, brand_id=OPEN)
        created = await create(client, targets=[{"account_id": str(x)}], scheduled_at=in_(hours=1))

        response = await client.patch(f"/v1/posts/{created['id']}", json={"text": "a" * 300})

        assert response.status_code == 422
        assert response.json()["code"] == "content_rejected"
        assert (await client.get(f"/v1/posts/{created['id']}")).json()["text"] == "Launch day!"


class TestScheduling:
    async def test_rescheduling_moves_every_target_and_says_so(self, client, engine):
        created = await create(client, scheduled_at=in_(hours=1))
        later = in_(hours=5)

        response = await client.post(
            f"/v1/posts/{created['id']}/schedule", json={"scheduled_at": later.isoformat()}
        )

        moved = response.json()
        assert response.status_code == 200
        assert moved["status"] == "scheduled"
        assert at(moved["scheduled_at"]) == later
        assert {at(t["due_at"]) for t in moved["targets"]} == {later}
        events = await changes(engine, created["id"])
        assert [e.change for e in events] == ["scheduled", "rescheduled"]
        assert events[1].scheduled_at == later

    async def test_a_time_in_the_past_is_refused(self, client, engine):
        created = await create(client, scheduled_at=in_(hours=1))

        response = await client.post(
            f"/v1/posts/{created['id']}/schedule",
            json={"scheduled_at": in_(minutes=-10).isoformat()},
        )

        assert response.status_code == 422
        assert response.json()["code"] == "scheduled_in_past"
        assert [e.change for e in await changes(engine, created["id"])] == ["scheduled"]

    async def test_a_recurrence_that_never_ends_is_refused(self, client):
        draft = await create(client, submit="draft")

        response = await client.post(
            f"/v1/posts/{draft['id']}/schedule",
            json={"local_time": "2030-06-03T09:00", "recurrence": "FREQ=WEEKLY"},
        )

        assert response.status_code == 422
        assert response.json()["code"] == "rrule_never_ends"

    async def test_next_slot_takes_the_accounts_first_free_queue_time(
        self, client, configure_brand
    ):
        await configure_brand(client.tenant, OPEN, timezone="America/New_York")
        await client.put(
            f"/v1/publishing-accounts/{client.account}/slots",
            json={"slots": [{"weekday": d, "local_time": "08:30"} for d in range(1, 8)]},
        )
        first = await create(client, next_slot=True)
        second = await create(client, next_slot=True)

        def local(post: dict[str, object]) -> datetime:
            (target,) = post["targets"]  # type: ignore[misc]
            due: datetime = at(target["due_at"]).astimezone(NEW_YORK)
            return due

        assert (local(first).hour, local(first).minute) == (8, 30)
        assert (local(second).hour, local(second).minute) == (8, 30)
        assert local(second).date() == local(first).date() + timedelta(days=1)


class TestCancel:
    async def test_a_draft_is_cancelled_without_a_schedule_event(self, client, engine):
        draft = await create(client, submit="draft")

        response = await client.post(f"/v1/posts/{draft['id']}/cancel")

        assert response.status_code == 200
        assert response.json()["status"] == "cancelled"
        assert {t["status"] for t in response.json()["targets"]} == {"cancelled"}
        assert await changes(engine, draft["id"]) == []


class TestRetry:
    async def test_only_failed_targets_are_scheduled_again_with_fresh_attempts(
        self, client, engine, forget_posts
    ):
        other = await client.post(
            "/v1/publishing-accounts",
            json={"network": "sandbox", "external_account_id": "second"},
        )
        created = await create(
            client,
            targets=[{"account_id": client.account}, {"account_id": other.json()["id"]}],
            scheduled_at=in_(hours=1),
        )
        forget_posts(created["id"])
        failed_id, published_id = (t["id"] for t in created["targets"])
        async with engine.begin() as conn:
            await conn.execute(
                update(post_target)
                .where(post_target.c.id == failed_id)
                .values(status="failed", attempts=5, error="gave up", failure_kind="exhausted")
            )
            await conn.execute(
                update(post_target)
                .where(post_target.c.id == published_id)
                .values(status="published", attempts=1, external_id="sbx_1", url="https://p/1")
            )
            await conn.execute(
                update(post).where(post.c.id == created["id"]).values(status="partially_published")
            )
        before = datetime.now(UTC)

        response = await client.post(f"/v1/posts/{created['id']}/retry")

        retried = response.json()
        assert response.status_code == 200
        assert retried["status"] == "publishing"
        targets = {t["id"]: t for t in retried["targets"]}
        again = targets[failed_id]
        assert (again["status"], again["attempts"], again["error"], again["failure_kind"]) == (
            "scheduled",
            0,
            None,
            None,
        )
        assert at(again["due_at"]) >= before
        kept = targets[published_id]
        assert (kept["status"], kept["attempts"], kept["external_id"]) == (
            "published",
            1,
            "sbx_1",
        )
        events = await changes(engine, created["id"])
        assert [e.change for e in events] == ["scheduled", "rescheduled"]
        assert [str(t.target_id) for t in events[1].targets] == [failed_id]

    async def test_a_post_without_a_failed_target_has_nothing_to_retry(self, client):
        created = await create(client, scheduled_at=in_(hours=1))

        response = await client.post(f"/v1/posts/{created['id']}/retry")

        assert response.status_code == 409
        assert response.json()["code"] == "nothing_to_retry"


async def test_every_workflow_change_notifies_subscribed_webhooks(client, engine):
    endpoint = await client.post("/v1/webhook-endpoints", json={"url": "http://127.0.0.1:9/hooks"})
    assert endpoint.status_code == 201, endpoint.text
    try:
        created = await create(client, brand=APPROVAL, submit="review", scheduled_at=in_(hours=1))
        post_id = created["id"]
        review = {"comment": "Shorter, please."}
        await client.post(f"/v1/posts/{post_id}/request-changes", json=review, headers=client.rita)
        await client.post(f"/v1/posts/{post_id}/submit")
        await client.post(f"/v1/posts/{post_id}/approve", json={}, headers=client.rita)
        await client.post(
            f"/v1/posts/{post_id}/schedule", json={"scheduled_at": in_(hours=2).isoformat()}
        )
        await client.post(f"/v1/posts/{post_id}/cancel")
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(webhook_delivery.c.event_type, webhook_delivery.c.payload)
                .where(webhook_delivery.c.tenant_id == client.tenant)
                .order_by(webhook_delivery.c.created_at)
            )
            delivered = list(rows.all())
    finally:
        # Its deliveries go with it, so no later worker tries to send them.
        removed = await client.delete(f"/v1/webhook-endpoints/{endpoint.json()['id']}")
    assert removed.status_code == 204

    assert [r.event_type for r in delivered] == [
        "post.submitted",
        "post.changes_requested",
        "post.submitted",
        "post.approved",
        "post.scheduled",
        "post.rescheduled",
        "post.cancelled",
    ]
    assert {(r.payload["type"], r.payload["data"]["post_id"]) for r in delivered} == {
        (r.event_type, post_id) for r in delivered
    }
    assert delivered[1].payload["data"]["comment"] == "Shorter, please."


async def test_a_post_whose_time_passed_in_review_is_approved_unscheduled_then_given_a_new_time(
    client, engine
):
    created = await create(client, brand=APPROVAL, submit="review", scheduled_at=in_(hours=1))
    post_id = created["id"]
    # Its time passes while reviewers look at it.
    async with engine.begin() as conn:
        await conn.execute(
            update(post).where(post.c.id == post_id).values(scheduled_at=in_(hours=-1))
        )

    approved = await client.post(f"/v1/posts/{post_id}/approve", json={}, headers=client.rita)
    no_time = await client.post(f"/v1/posts/{post_id}/schedule", json={})
    new_time = in_(hours=3)
    scheduled = await client.post(
        f"/v1/posts/{post_id}/schedule", json={"scheduled_at": new_time.isoformat()}
    )

    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert no_time.status_code == 422
    assert no_time.json()["code"] == "time_required"
    assert scheduled.json()["status"] == "scheduled"
    assert at(scheduled.json()["scheduled_at"]) == new_time
    assert [c.change for c in await changes(engine, post_id)] == ["scheduled"]
