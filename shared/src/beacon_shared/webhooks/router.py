"""HTTP routes of the webhooks API: endpoints, their delivery logs, tests and redeliveries.

Every service sending webhooks mounts the same routes on its own tables (`webhook_router`); it
says which credentials read and manage them, and where its secret box and egress policy come from.
"""

# No `from __future__ import annotations`: the routes are made inside `webhook_router`, and
# FastAPI reads their annotations, which name its arguments, when they are defined.

from collections.abc import Awaitable, Callable
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response, status

from beacon_shared.auth.principal import Principal
from beacon_shared.crypto import SecretBox
from beacon_shared.db import DbSession
from beacon_shared.egress import EgressPolicy
from beacon_shared.webhooks.schemas import (
    DeliveryDetail,
    DeliveryOut,
    DeliveryPage,
    DeliveryQuery,
    EndpointIn,
    EndpointOut,
    EndpointPage,
    EndpointPatch,
    EndpointQuery,
    EndpointWithSecret,
    RotatedSecret,
)
from beacon_shared.webhooks.service import Webhooks


def webhook_router(
    webhooks: Webhooks,
    *,
    read: Callable[..., Awaitable[Principal]],
    write: Callable[..., Awaitable[Principal]],
    box_of: Callable[[Request], Awaitable[SecretBox]],
    egress_of: Callable[[Request], Awaitable[EgressPolicy]],
) -> APIRouter:
    """The webhooks API on `webhooks`' tables: `read` and `write` authenticate who lists and who
    manages endpoints; `box_of` is the box sealing their signing secrets; `egress_of` the policy
    judging their URLs."""
    router = APIRouter(prefix="/v1", tags=["webhooks"])

    @router.post(
        "/webhook-endpoints",
        status_code=status.HTTP_201_CREATED,
        summary="Register a URL that receives signed webhooks",
        responses={401: {}, 403: {}, 409: {}, 422: {}},
    )
    async def create_endpoint(
        body: EndpointIn,
        principal: Annotated[Principal, Depends(write)],
        session: DbSession,
        box: Annotated[SecretBox, Depends(box_of)],
        egress: Annotated[EgressPolicy, Depends(egress_of)],
    ) -> EndpointWithSecret:
        """The response holds the signing secret, which no later call shows again.

        The URL must be https on a public host. Each webhook is a POST signed per Standard Webhooks
        (`webhook-id`, `webhook-timestamp`, `webhook-signature`); failed deliveries are retried for
        more than 24 hours.
        """
        created = await webhooks.create_endpoint(
            session, tenant_id=principal.tenant_id, body=body, box=box, egress=egress
        )
        return EndpointWithSecret.from_created(created.endpoint, created.secret)

    @router.get(
        "/webhook-endpoints",
        summary="List webhook endpoints, newest first",
        responses={401: {}, 403: {}, 422: {}},
    )
    async def list_endpoints(
        query: Annotated[EndpointQuery, Query()],
        principal: Annotated[Principal, Depends(read)],
        session: DbSession,
    ) -> EndpointPage:
        """Page by `cursor`."""
        rows, next_cursor = await webhooks.list_endpoints(
            session, tenant_id=principal.tenant_id, query=query
        )
        return EndpointPage(items=[EndpointOut.from_row(r) for r in rows], next_cursor=next_cursor)

    @router.get(
        "/webhook-endpoints/{endpoint_id}",
        summary="Get one webhook endpoint",
        responses={401: {}, 403: {}, 404: {}, 422: {}},
    )
    async def get_endpoint(
        endpoint_id: UUID, principal: Annotated[Principal, Depends(read)], session: DbSession
    ) -> EndpointOut:
        """The endpoint, without its secret."""
        row = await webhooks.get_endpoint(
            session, tenant_id=principal.tenant_id, endpoint_id=endpoint_id
        )
        return EndpointOut.from_row(row)

    @router.patch(
        "/webhook-endpoints/{endpoint_id}",
        summary="Change a webhook endpoint",
        responses={401: {}, 403: {}, 404: {}, 422: {}},
    )
    async def update_endpoint(
        endpoint_id: UUID,
        patch: EndpointPatch,
        principal: Annotated[Principal, Depends(write)],
        session: DbSession,
        egress: Annotated[EgressPolicy, Depends(egress_of)],
    ) -> EndpointOut:
        """Fields left out keep their value; enabling sends the deliveries that waited meanwhile."""
        row = await webhooks.update_endpoint(
            session,
            tenant_id=principal.tenant_id,
            endpoint_id=endpoint_id,
            patch=patch,
            egress=egress,
        )
        return EndpointOut.from_row(row)

    @router.delete(
        "/webhook-endpoints/{endpoint_id}",
        status_code=status.HTTP_204_NO_CONTENT,
        summary="Delete a webhook endpoint and its delivery log",
        responses={401: {}, 403: {}, 404: {}, 422: {}},
    )
    async def delete_endpoint(
        endpoint_id: UUID, principal: Annotated[Principal, Depends(write)], session: DbSession
    ) -> Response:
        """Undelivered messages are dropped with it."""
        await webhooks.delete_endpoint(
            session, tenant_id=principal.tenant_id, endpoint_id=endpoint_id
        )
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    @router.post(
        "/webhook-endpoints/{endpoint_id}/rotate-secret",
        summary="Replace an endpoint's signing secret",
        responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}},
    )
    async def rotate_secret(
        endpoint_id: UUID,
        principal: Annotated[Principal, Depends(write)],
        session: DbSession,
        box: Annotated[SecretBox, Depends(box_of)],
    ) -> RotatedSecret:
        """The new secret is shown once; for 24 hours webhooks carry signatures by both secrets."""
        rotated = await webhooks.rotate_secret(
            session, tenant_id=principal.tenant_id, endpoint_id=endpoint_id, box=box
        )
        return RotatedSecret(
            secret=rotated.secret, previous_valid_until=rotated.previous_valid_until
        )

    @router.post(
        "/webhook-endpoints/{endpoint_id}/test",
        status_code=status.HTTP_202_ACCEPTED,
        summary="Send a test webhook",
        responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}},
    )
    async def send_test(
        endpoint_id: UUID, principal: Annotated[Principal, Depends(write)], session: DbSession
    ) -> DeliveryOut:
        """Queues a `webhook.test` message; follow it in the endpoint's delivery log."""
        row = await webhooks.send_test(
            session, tenant_id=principal.tenant_id, endpoint_id=endpoint_id
        )
        return DeliveryOut.from_row(row)

    @router.get(
        "/webhook-endpoints/{endpoint_id}/deliveries",
        summary="List an endpoint's deliveries, newest first",
        responses={401: {}, 403: {}, 404: {}, 422: {}},
    )
    async def list_deliveries(
        endpoint_id: UUID,
        query: Annotated[DeliveryQuery, Query()],
        principal: Annotated[Principal, Depends(read)],
        session: DbSession,
    ) -> DeliveryPage:
        """Filter by `status` and `event_type`; page by `cursor`."""
        rows, next_cursor = await webhooks.list_deliveries(
            session, tenant_id=principal.tenant_id, endpoint_id=endpoint_id, query=query
        )
        return DeliveryPage(items=[DeliveryOut.from_row(r) for r in rows], next_cursor=next_cursor)

    @router.get(
        "/webhook-deliveries/{delivery_id}",
        summary="Get one delivery with its attempts",
        responses={401: {}, 403: {}, 404: {}, 422: {}},
    )
    async def get_delivery(
        delivery_id: UUID, principal: Annotated[Principal, Depends(read)], session: DbSession
    ) -> DeliveryDetail:
        """The signed body and every attempt: when, the status code, the start of the answer."""
        record = await webhooks.get_delivery(
            session, tenant_id=principal.tenant_id, delivery_id=delivery_id
        )
        return DeliveryDetail.from_rows(record.delivery, record.attempts)

    @router.post(
        "/webhook-deliveries/{delivery_id}/redeliver",
        status_code=status.HTTP_202_ACCEPTED,
        summary="Send a delivery again now",
        responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}},
    )
    async def redeliver(
        delivery_id: UUID, principal: Annotated[Principal, Depends(write)], session: DbSession
    ) -> DeliveryOut:
        """Same `webhook-id` and body, whatever became of it; a 409 while an attempt is under way
        or the endpoint is disabled."""
        row = await webhooks.redeliver(
            session, tenant_id=principal.tenant_id, delivery_id=delivery_id
        )
        return DeliveryOut.from_row(row)

    return router
