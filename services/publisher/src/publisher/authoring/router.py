"""HTTP routes of the posts API."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from beacon_shared import idempotency
from beacon_shared.auth.brand_reads import brands_to_read
from beacon_shared.auth.brands import Brands
from beacon_shared.db import DbSession
from beacon_shared.idempotency import IdempotencyKey
from publisher.authoring import service, workflow
from publisher.authoring.agenda import Agenda, AgendaQuery, agenda
from publisher.authoring.dependencies import (
    Approver,
    Networks,
    PublisherSettings,
    Reader,
    Writer,
)
from publisher.authoring.schemas import (
    ChangesRequestedIn,
    PostIn,
    PostOut,
    PostPage,
    PostPatch,
    PostQuery,
    ReviewIn,
    ReviewOut,
    ScheduleIn,
)

router = APIRouter(prefix="/v1/posts", tags=["posts"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a post for one or more accounts: a draft, for review, or scheduled",
    responses={
        200: {"model": PostOut, "description": "An Idempotency-Key replay: the existing post."},
        400: {},
        401: {},
        403: {},
        413: {},
        422: {},
    },
)
async def create_post(
    body: PostIn,
    principal: Writer,
    brands: Brands,
    session: DbSession,
    settings: PublisherSettings,
    response: Response,
    networks: Networks,
    idempotency_key: IdempotencyKey = None,
) -> PostOut:
    """Each target's variant is checked against its network's rules (422 with a pointer per
    problem). Scheduled posts emit `post.scheduled`; brands needing approval get a 409 for
    `submit=schedule`. The brand must be registered (422 unknown_brand) and one the caller may
    write for (403 brand_not_allowed)."""
    await brands.check(principal, "posts:write", body.brand_id)
    outcome = await service.create(
        session,
        tenant_id=principal.tenant_id,
        actor=principal.actor,
        body=body,
        idempotency_key=idempotency_key,
        tolerance=timedelta(seconds=settings.schedule_tolerance_seconds),
        networks=networks,
    )
    if not outcome.created:
        response.status_code = status.HTTP_200_OK
    idempotency.mark(response, key=idempotency_key, replayed=not outcome.created)
    return PostOut.from_rows(outcome.record.post, outcome.record.targets)


@router.get("", summary="List posts, newest first", responses={401: {}, 403: {}, 422: {}})
async def list_posts(
    query: Annotated[PostQuery, Query()], principal: Reader, brands: Brands, session: DbSession
) -> PostPage:
    """Filter by status, brand, campaign, account, network and scheduled time (`from`
    inclusive, `to` exclusive); page by `cursor`. Only the brands the caller may read."""
    records, next_cursor = await service.list_page(
        session,
        tenant_id=principal.tenant_id,
        query=query,
        brand_ids=await brands_to_read(brands, principal, "posts:read", query.brand_id),
    )
    return PostPage(
        items=[PostOut.from_rows(r.post, r.targets) for r in records], next_cursor=next_cursor
    )


@router.get("/{post_id}", summary="Get one post", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def get_post(post_id: UUID, principal: Reader, session: DbSession) -> PostOut:
    """One post of the caller's tenant, with how each target went."""
    await service.require_access(session, principal=principal, post_id=post_id, scope="posts:read")
    record = await service.get(session, tenant_id=principal.tenant_id, post_id=post_id)
    return PostOut.from_rows(record.post, record.targets)


_CHANGE: dict[int | str, dict[str, Any]] = {401: {}, 403: {}, 404: {}, 409: {}, 422: {}}


def _out(record: service.PostRecord) -> PostOut:
    return PostOut.from_rows(record.post, record.targets)


@router.patch("/{post_id}", summary="Change a post's content", responses=_CHANGE)
async def update_post(
    post_id: UUID, patch: PostPatch, principal: Writer, session: DbSession
) -> PostOut:
    """Until it starts publishing. Where posts need approval, changing an approved or scheduled
    post sends it back to review."""
    await service.require_access(session, principal=principal, post_id=post_id, scope="posts:write")
    return _out(
        await service.update(
            session,
            tenant_id=principal.tenant_id,
            actor=principal.actor,
            post_id=post_id,
            patch=patch,
        )
    )


@router.post("/{post_id}/submit", summary="Send a draft to review", responses=_CHANGE)
async def submit_post(post_id: UUID, principal: Writer, session: DbSession) -> PostOut:
    """draft → in_review."""
    await service.require_access(session, principal=principal, post_id=post_id, scope="posts:write")
    return _out(
        await workflow.submit(
            session, tenant_id=principal.tenant_id, actor=principal.actor, post_id=post_id
        )
    )


@router.post("/{post_id}/approve", summary="Approve a post in review", responses=_CHANGE)
async def approve_post(
    post_id: UUID,
    body: ReviewIn,
    principal: Approver,
    session: DbSession,
    settings: PublisherSettings,
) -> PostOut:
    """in_review → approved, or straight to scheduled when the post has its time. Needs
    `posts:approve` on the post's brand; its author approves it only where the brand allows
    self-approval (403 self_approval_refused)."""
    await service.require_access(
        session, principal=principal, post_id=post_id, scope="posts:approve"
    )
    return _out(
        await workflow.approve(
            session,
            tenant_id=principal.tenant_id,
            actor=principal.actor,
            post_id=post_id,
            review=body,
            tolerance=timedelta(seconds=settings.schedule_tolerance_seconds),
        )
    )


@router.post(
    "/{post_id}/request-changes", summary="Send a post back to its author", responses=_CHANGE
)
async def request_changes(
    post_id: UUID, body: ChangesRequestedIn, principal: Approver, session: DbSession
) -> PostOut:
    """in_review → draft, with the reviewer's comment (`posts:approve` on the post's brand)."""
    await service.require_access(
        session, principal=principal, post_id=post_id, scope="posts:approve"
    )
    return _out(
        await workflow.request_changes(
            session,
            tenant_id=principal.tenant_id,
            actor=principal.actor,
            post_id=post_id,
            review=body,
        )
    )


@router.post(
    "/{post_id}/comments",
    status_code=status.HTTP_201_CREATED,
    summary="Comment on a post",
    responses=_CHANGE,
)
async def comment_post(
    post_id: UUID, body: ChangesRequestedIn, principal: Writer, session: DbSession
) -> ReviewOut:
    """A review comment that changes no state."""
    await service.require_access(session, principal=principal, post_id=post_id, scope="posts:read")
    row = await workflow.comment(
        session, tenant_id=principal.tenant_id, actor=principal.actor, post_id=post_id, review=body
    )
    return ReviewOut.model_validate(dict(row._mapping))


@router.get(
    "/{post_id}/reviews",
    summary="A post's review history",
    responses={401: {}, 403: {}, 404: {}, 422: {}},
)
async def post_reviews(post_id: UUID, principal: Reader, session: DbSession) -> list[ReviewOut]:
    """Submissions, approvals, requested changes and comments, oldest first."""
    await service.require_access(session, principal=principal, post_id=post_id, scope="posts:read")
    rows = await workflow.reviews(session, tenant_id=principal.tenant_id, post_id=post_id)
    return [ReviewOut.model_validate(dict(r._mapping)) for r in rows]


@router.post("/{post_id}/schedule", summary="Schedule or reschedule a post", responses=_CHANGE)
async def schedule_post(
    post_id: UUID,
    body: ScheduleIn,
    principal: Writer,
    session: DbSession,
    settings: PublisherSettings,
) -> PostOut:
    """An instant, a local time in a zone (DST-safe), or each account's next free slot; a
    scheduled post is moved (`post.scheduled` with change=rescheduled)."""
    await service.require_access(session, principal=principal, post_id=post_id, scope="posts:write")
    return _out(
        await workflow.schedule(
            session,
            tenant_id=principal.tenant_id,
            post_id=post_id,
            spec=body,
            tolerance=timedelta(seconds=settings.schedule_tolerance_seconds),
        )
    )


@router.post(
    "/{post_id}/cancel",
    summary="Cancel a post before it starts publishing",
    responses=_CHANGE,
)
async def cancel_post(post_id: UUID, principal: Writer, session: DbSession) -> PostOut:
    """Emits `post.scheduled` with change=cancelled; a post already publishing is a 409."""
    await service.require_access(session, principal=principal, post_id=post_id, scope="posts:write")
    return _out(await workflow.cancel(session, tenant_id=principal.tenant_id, post_id=post_id))


@router.post(
    "/{post_id}/retry",
    summary="Publish the failed targets again",
    responses=_CHANGE,
)
async def retry_post(post_id: UUID, principal: Writer, session: DbSession) -> PostOut:
    """Only failed targets are touched; published ones stay as they are."""
    await service.require_access(session, principal=principal, post_id=post_id, scope="posts:write")
    return _out(
        await workflow.retry_failed(session, tenant_id=principal.tenant_id, post_id=post_id)
    )


calendar_router = APIRouter(prefix="/v1/calendar", tags=["calendar"])


@calendar_router.get(
    "", summary="A brand's calendar between two local days", responses={401: {}, 403: {}, 422: {}}
)
async def get_calendar(
    query: Annotated[AgendaQuery, Query()], principal: Reader, brands: Brands, session: DbSession
) -> Agenda:
    """Posts (and the coming occurrences of recurring posts) on the brand's wall clock, from
    `from` to `to` inclusive, at most 93 days; only the brands the caller may read."""
    return await agenda(
        session,
        tenant_id=principal.tenant_id,
        query=query,
        brand_ids=await brands_to_read(brands, principal, "posts:read", query.brand_id),
    )
