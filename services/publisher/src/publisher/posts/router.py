"""HTTP routes of the posts API."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from beacon_shared.db import DbSession
from publisher.posts import service
from publisher.posts.dependencies import IdempotencyKey, PublisherSettings, Reader, Writer
from publisher.posts.schemas import PostIn, PostOut, PostPage, PostQuery

router = APIRouter(prefix="/v1/posts", tags=["posts"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Schedule a post on one or more accounts",
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
    session: DbSession,
    settings: PublisherSettings,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> PostOut:
    """Publishes at `scheduled_at` on every target; emits `post.scheduled`."""
    outcome = await service.create(
        session,
        tenant_id=principal.tenant_id,
        body=body,
        idempotency_key=idempotency_key,
        tolerance=timedelta(seconds=settings.schedule_tolerance_seconds),
    )
    if not outcome.created:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return PostOut.from_rows(outcome.record.post, outcome.record.targets)


@router.get("", summary="List posts, newest first", responses={401: {}, 403: {}, 422: {}})
async def list_posts(
    query: Annotated[PostQuery, Query()], principal: Reader, session: DbSession
) -> PostPage:
    """Filter by status and scheduled time (`from` inclusive, `to` exclusive); page by `cursor`."""
    records, next_cursor = await service.list_page(
        session, tenant_id=principal.tenant_id, query=query
    )
    return PostPage(
        items=[PostOut.from_rows(r.post, r.targets) for r in records], next_cursor=next_cursor
    )


@router.get("/{post_id}", summary="Get one post", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def get_post(post_id: UUID, principal: Reader, session: DbSession) -> PostOut:
    """One post of the caller's tenant, with how each target went."""
    record = await service.get(session, tenant_id=principal.tenant_id, post_id=post_id)
    return PostOut.from_rows(record.post, record.targets)


@router.post(
    "/{post_id}/cancel",
    summary="Cancel a post before it starts publishing",
    responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}},
)
async def cancel_post(post_id: UUID, principal: Writer, session: DbSession) -> PostOut:
    """Emits `post.scheduled` with change=cancelled; a post already publishing is a 409."""
    record = await service.cancel(session, tenant_id=principal.tenant_id, post_id=post_id)
    return PostOut.from_rows(record.post, record.targets)
