"""HTTP routes of the generic interactions API and its read side."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from pydantic import BaseModel

from beacon_shared import idempotency
from beacon_shared.auth import Principal
from beacon_shared.auth.brand_reads import brands_to_read
from beacon_shared.auth.brands import Brands
from beacon_shared.auth.verify import require_brand_scope
from beacon_shared.db import DbSession
from beacon_shared.idempotency import IdempotencyKey
from ingest import access
from ingest.interactions import keys, service
from ingest.interactions.dependencies import Committer
from ingest.interactions.exceptions import InteractionNotFound
from ingest.interactions.schemas import (
    ConversationQuery,
    InteractionAccepted,
    InteractionBatchAccepted,
    InteractionBatchIn,
    InteractionIn,
    InteractionOut,
    InteractionPage,
    InteractionQuery,
)

router = APIRouter(tags=["interactions"])
A = TypeVar("A", InteractionAccepted, InteractionBatchAccepted)
Writer = Annotated[Principal, Depends(require_brand_scope(access.WRITE))]
Reader = Annotated[Principal, Depends(require_brand_scope(access.READ))]

_RETRIES = (
    " Retrying is safe: storage is idempotent on (network, external_id), so a resubmitted"
    " interaction is reported as a duplicate with the id it was first stored under and emits"
    " nothing again. With an `Idempotency-Key`, a retry within 24 hours gets the first answer"
    " again (with `Idempotent-Replayed: true`), and the key's reuse for another body is a 422."
)


async def _once(
    request: Request,
    response: Response,
    principal: Principal,
    key: str | None,
    body: BaseModel,
    model: type[A],
    produce: Callable[[], Awaitable[A]],
) -> A:
    # The interactions commit with their group (idempotent on network and external_id), the
    # answer in a transaction of its own.
    answer = await idempotency.answer_once(
        keys.KEYS,
        idempotency.transactions(request.app.state.sessionmaker),
        tenant_id=principal.tenant_id,
        key=key,
        request=idempotency.fingerprint(
            {"route": request.url.path, "body": body.model_dump(mode="json")}
        ),
        model=model,
        produce=lambda _session: produce(),
    )
    idempotency.mark(response, key=key, replayed=answer.replayed)
    return answer.value


@router.post(
    "/v1/interactions",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Submit one interaction from a custom source",
    description="Stored once per (network, external_id)." + _RETRIES,
    responses={400: {}, 401: {}, 403: {}, 413: {}, 422: {}},
)
async def submit(
    body: InteractionIn,
    principal: Writer,
    brands: Brands,
    committer: Committer,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> InteractionAccepted:
    await brands.check(principal, access.WRITE, body.brand_id)

    async def produce() -> InteractionAccepted:
        (accepted,) = await committer.accept(
            tenant_id=principal.tenant_id, items=[body.to_interaction()]
        )
        return accepted

    return await _once(
        request, response, principal, idempotency_key, body, InteractionAccepted, produce
    )


@router.post(
    "/v1/interactions/batch",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Submit up to 1,000 interactions at once",
    description=(
        "All items are stored in one transaction, or none: an invalid item is a 422 whose errors"
        " point at it (`/items/3/created_at`). The result lists one entry per item, in order; an"
        " item repeating an earlier one of the batch (same network and external_id) is reported"
        " as a duplicate of it." + _RETRIES
    ),
    responses={400: {}, 401: {}, 403: {}, 413: {}, 422: {}},
)
async def submit_batch(
    body: InteractionBatchIn,
    principal: Writer,
    brands: Brands,
    committer: Committer,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> InteractionBatchAccepted:
    named = {item.brand_id for item in body.items}
    if None in named:
        await brands.check(principal, access.WRITE, None)
    await brands.check_all(principal, access.WRITE, {b for b in named if b is not None})

    async def produce() -> InteractionBatchAccepted:
        accepted = await committer.accept(
            tenant_id=principal.tenant_id, items=[item.to_interaction() for item in body.items]
        )
        return InteractionBatchAccepted(items=accepted)

    return await _once(
        request, response, principal, idempotency_key, body, InteractionBatchAccepted, produce
    )


@router.get(
    "/v1/interactions",
    summary="List and search interactions, newest received first",
    responses={401: {}, 403: {}, 422: {}},
)
async def list_interactions(
    query: Annotated[InteractionQuery, Query()],
    principal: Reader,
    brands: Brands,
    session: DbSession,
) -> InteractionPage:
    """Filter by brand, account, network, kinds, created_at range and text; page by `cursor`.
    A credential limited to some brands lists only theirs."""
    rows, next_cursor = await service.list_page(
        session,
        tenant_id=principal.tenant_id,
        query=query,
        brands=await brands_to_read(brands, principal, access.READ, query.brand_id),
    )
    return InteractionPage(
        items=[InteractionOut.from_row(r) for r in rows], next_cursor=next_cursor
    )


@router.get(
    "/v1/interactions/{interaction_id}",
    summary="Get one interaction",
    responses={401: {}, 403: {}, 404: {}, 422: {}},
)
async def get_one(interaction_id: UUID, principal: Reader, session: DbSession) -> InteractionOut:
    row = await service.get(session, tenant_id=principal.tenant_id, interaction_id=interaction_id)
    access.check_readable(
        principal, row.brand_id, InteractionNotFound(f"no interaction {interaction_id}")
    )
    return InteractionOut.from_row(row)


@router.get(
    "/v1/conversations/{thread_external_id}",
    summary="A thread's interactions, oldest first",
    description="Every interaction whose thread_external_id is this one, in created_at order.",
    responses={401: {}, 403: {}, 404: {}, 422: {}},
)
async def get_conversation(
    thread_external_id: Annotated[str, Path(min_length=1, max_length=256)],
    query: Annotated[ConversationQuery, Query()],
    principal: Reader,
    session: DbSession,
) -> InteractionPage:
    rows, next_cursor = await service.conversation_page(
        session,
        tenant_id=principal.tenant_id,
        thread_external_id=thread_external_id,
        query=query,
        brands=principal.brands_for(access.READ),
    )
    return InteractionPage(
        items=[InteractionOut.from_row(r) for r in rows], next_cursor=next_cursor
    )
