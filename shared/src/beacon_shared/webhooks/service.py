"""Webhook endpoints, their delivery logs, and `notify`, which queues messages for them.

`Webhooks` is one service's: its tables and the event types its endpoints may subscribe to (a
service's business; the machinery is the same for all).

Nothing here sends anything: `notify`, "test" and "redeliver" only write pending deliveries in
the caller's transaction, and the dispatcher job sends them once it is committed.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from pydantic_core import to_jsonable_python
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.crypto import SecretBox, SecretsUnreadable
from beacon_shared.egress import EgressPolicy
from beacon_shared.logging import get_logger
from beacon_shared.pagination import Cursor, split_page
from beacon_shared.reseal import Sealed
from beacon_shared.webhooks.exceptions import (
    DeliveryInProgress,
    DeliveryNotFound,
    EndpointDisabled,
    EndpointNotFound,
    UnknownEventType,
)
from beacon_shared.webhooks.repository import WebhookRepository
from beacon_shared.webhooks.schemas import (
    TEST_EVENT_TYPE,
    DeliveryQuery,
    EndpointIn,
    EndpointPatch,
    EndpointQuery,
)
from beacon_shared.webhooks.secret_store import EndpointSecrets, seal, unseal
from beacon_shared.webhooks.signing import new_secret
from beacon_shared.webhooks.tables import DeliveryStatus, WebhookTables
from beacon_shared.webhooks.urls import check_url

log = get_logger(__name__)


@dataclass(frozen=True)
class EndpointWithSecret:
    """A stored endpoint and a secret of it in plain text, to show once."""

    endpoint: Row[Any]
    secret: str


@dataclass(frozen=True)
class RotatedSecret:
    """The new secret, and until when the previous one still signs too."""

    secret: str
    previous_valid_until: datetime | None


@dataclass(frozen=True)
class DeliveryRecord:
    """A delivery and its attempts."""

    delivery: Row[Any]
    attempts: Sequence[Row[Any]]


def body(event_type: str, data: Mapping[str, Any], *, occurred_at: datetime) -> dict[str, Any]:
    """The message every attempt sends: `{"type", "timestamp", "data"}` with JSON-ready data."""
    timestamp = occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return {"type": event_type, "timestamp": timestamp, "data": to_jsonable_python(data)}


@dataclass(frozen=True)
class Notice:
    """One event to offer to a tenant's webhook endpoints."""

    tenant_id: str
    event_type: str
    data: Mapping[str, Any]
    brand_id: str | None


def _brands(brand_ids: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(brand_ids))


class Webhooks:
    """One service's webhooks: its tables, and the event types its endpoints may subscribe to."""

    def __init__(self, tables: WebhookTables, *, event_types: Sequence[str]) -> None:
        self.tables = tables
        self.event_types = tuple(event_types)
        self.repository = WebhookRepository(tables)

    async def notify(
        self,
        session: AsyncSession,
        *,
        tenant_id: str,
        event_type: str,
        data: Mapping[str, Any],
        brand_id: str | None,
    ) -> int:
        """Queue `event_type` for every enabled endpoint of the tenant subscribed to it and to the
        brand, in the caller's transaction; returns how many deliveries were queued.

        `data` may hold UUIDs, datetimes and enums; they are stored as their JSON forms. Endpoints
        limited to some brands get nothing about events without a brand.
        """
        return await self.notify_many(
            session,
            [Notice(tenant_id=tenant_id, event_type=event_type, data=data, brand_id=brand_id)],
        )

    async def forget(
        self, session: AsyncSession, *, tenant_id: str, field: str, values: Sequence[str]
    ) -> int:
        """Delete the tenant's deliveries (their attempts with them) whose event's data has
        `field` among `values`, sent or not: what an erasure request reaches; how many."""
        if not values:
            return 0
        return await self.repository.delete_about(
            session, tenant_id=tenant_id, field=field, values=values
        )

    async def notify_many(
        self, session: AsyncSession, notices: Sequence[Notice], *, now: datetime | None = None
    ) -> int:
        """`notify` for many events at once, in one statement; returns how many were queued.
        `now` (by default the clock's) is the events' time in the body."""
        now = now or datetime.now(UTC)
        queued = await self.repository.enqueue_for_subscribers(
            session,
            [
                {
                    "tenant_id": n.tenant_id,
                    "event_type": n.event_type,
                    "brand_id": n.brand_id,
                    "payload": body(n.event_type, n.data, occurred_at=now),
                }
                for n in notices
            ],
            now=now,
        )
        if queued:
            log.info("webhook.queued", events=len(notices), deliveries=queued)
        return queued

    def check_event_types(self, event_types: Sequence[str]) -> list[str]:
        """The subscription without duplicates, or UnknownEventType naming the unknown ones."""
        unknown = [(i, name) for i, name in enumerate(event_types) if name not in self.event_types]
        if unknown:
            raise UnknownEventType(unknown, self.event_types)
        return list(dict.fromkeys(event_types))

    async def create_endpoint(
        self,
        session: AsyncSession,
        *,
        tenant_id: str,
        body: EndpointIn,
        box: SecretBox,
        egress: EgressPolicy,
    ) -> EndpointWithSecret:
        """Store an endpoint with a fresh signing secret; the secret is returned this once."""
        url = check_url(body.url, egress=egress)
        event_types = self.check_event_types(body.event_types)
        secret = new_secret()
        now = datetime.now(UTC)
        row = await self.repository.insert_endpoint(
            session,
            {
                "id": uuid.uuid4(),
                "tenant_id": tenant_id,
                "url": url,
                "description": body.description,
                "event_types": event_types,
                "brand_ids": _brands(body.brand_ids),
                "secret_encrypted": seal(box, EndpointSecrets(current=secret)),
                "enabled": True,
                "created_at": now,
                "updated_at": now,
            },
        )
        log.info("webhook.endpoint_created", endpoint_id=str(row.id), tenant_id=tenant_id)
        return EndpointWithSecret(row, secret)

    async def get_endpoint(
        self, session: AsyncSession, *, tenant_id: str, endpoint_id: UUID
    ) -> Row[Any]:
        """One endpoint of the tenant, or EndpointNotFound."""
        row = await self.repository.get_endpoint(
            session, tenant_id=tenant_id, endpoint_id=endpoint_id
        )
        if row is None:
            raise EndpointNotFound(endpoint_id)
        return row

    async def list_endpoints(
        self, session: AsyncSession, *, tenant_id: str, query: EndpointQuery
    ) -> tuple[Sequence[Row[Any]], str | None]:
        """A page of the tenant's endpoints, newest first, and the cursor of the next one."""
        after = Cursor.decode(query.cursor) if query.cursor else None
        rows = await self.repository.list_endpoints(
            session, tenant_id=tenant_id, after=after, limit=query.limit + 1
        )
        return split_page(rows, query.limit, at="created_at")

    async def update_endpoint(
        self,
        session: AsyncSession,
        *,
        tenant_id: str,
        endpoint_id: UUID,
        patch: EndpointPatch,
        egress: EgressPolicy,
    ) -> Row[Any]:
        """Change the fields the patch sets; enabling clears the reason it was disabled."""
        row = await self.repository.get_endpoint(
            session, tenant_id=tenant_id, endpoint_id=endpoint_id, for_update=True
        )
        if row is None:
            raise EndpointNotFound(endpoint_id)
        given = patch.model_fields_set
        values: dict[str, Any] = {}
        if "url" in given and patch.url is not None:
            values["url"] = check_url(patch.url, egress=egress)
        if "description" in given:
            values["description"] = patch.description
        if "event_types" in given:
            values["event_types"] = self.check_event_types(patch.event_types or [])
        if "brand_ids" in given:
            values["brand_ids"] = _brands(patch.brand_ids or [])
        if "enabled" in given and patch.enabled is not None and patch.enabled != row.enabled:
            values["enabled"] = patch.enabled
            values["disabled_reason"] = None if patch.enabled else "disabled through the API"
        if not values:
            return row
        values["updated_at"] = datetime.now(UTC)
        updated = await self.repository.update_endpoint(
            session, endpoint_id=endpoint_id, values=values
        )
        log.info(
            "webhook.endpoint_updated",
            endpoint_id=str(endpoint_id),
            tenant_id=tenant_id,
            fields=sorted(values),
        )
        return updated

    async def delete_endpoint(
        self, session: AsyncSession, *, tenant_id: str, endpoint_id: UUID
    ) -> None:
        """Delete an endpoint and its delivery log."""
        if not await self.repository.delete_endpoint(
            session, tenant_id=tenant_id, endpoint_id=endpoint_id
        ):
            raise EndpointNotFound(endpoint_id)
        log.info("webhook.endpoint_deleted", endpoint_id=str(endpoint_id), tenant_id=tenant_id)

    async def rotate_secret(
        self, session: AsyncSession, *, tenant_id: str, endpoint_id: UUID, box: SecretBox
    ) -> RotatedSecret:
        """Switch to a new secret; the old one keeps signing alongside it for a while.

        An old secret the key no longer opens is dropped at once: rotating is how such an endpoint
        gets a working secret again.
        """
        row = await self.repository.get_endpoint(
            session, tenant_id=tenant_id, endpoint_id=endpoint_id, for_update=True
        )
        if row is None:
            raise EndpointNotFound(endpoint_id)
        now = datetime.now(UTC)
        try:
            secrets = unseal(box, row.secret_encrypted).rotated(new_secret(), now=now)
        except SecretsUnreadable:
            log.warning("webhook.old_secret_unreadable", endpoint_id=str(endpoint_id))
            secrets = EndpointSecrets(current=new_secret())
        await self.repository.update_endpoint(
            session,
            endpoint_id=endpoint_id,
            values={"secret_encrypted": seal(box, secrets), "updated_at": now},
        )
        log.info("webhook.secret_rotated", endpoint_id=str(endpoint_id), tenant_id=tenant_id)
        return RotatedSecret(secrets.current, secrets.previous_until)

    async def send_test(
        self, session: AsyncSession, *, tenant_id: str, endpoint_id: UUID
    ) -> Row[Any]:
        """Queue a `webhook.test` message to the endpoint, whatever it subscribes to."""
        endpoint = await self.get_endpoint(session, tenant_id=tenant_id, endpoint_id=endpoint_id)
        if not endpoint.enabled:
            raise EndpointDisabled(endpoint_id, endpoint.disabled_reason)
        now = datetime.now(UTC)
        data = {"endpoint_id": endpoint_id, "message": "A test webhook from Beacon."}
        return await self.repository.insert_delivery(
            session,
            {
                "id": uuid.uuid4(),
                "endpoint_id": endpoint_id,
                "tenant_id": tenant_id,
                "event_type": TEST_EVENT_TYPE,
                "payload": body(TEST_EVENT_TYPE, data, occurred_at=now),
                "status": DeliveryStatus.pending.value,
                "next_attempt_at": now,
                "created_at": now,
            },
        )

    async def list_deliveries(
        self, session: AsyncSession, *, tenant_id: str, endpoint_id: UUID, query: DeliveryQuery
    ) -> tuple[Sequence[Row[Any]], str | None]:
        """A page of the endpoint's deliveries, newest first, and the cursor of the next one."""
        await self.get_endpoint(session, tenant_id=tenant_id, endpoint_id=endpoint_id)
        after = Cursor.decode(query.cursor) if query.cursor else None
        rows = await self.repository.list_deliveries(
            session,
            tenant_id=tenant_id,
            endpoint_id=endpoint_id,
            query=query,
            after=after,
            limit=query.limit + 1,
        )
        return split_page(rows, query.limit, at="created_at")

    async def get_delivery(
        self, session: AsyncSession, *, tenant_id: str, delivery_id: UUID
    ) -> DeliveryRecord:
        """One delivery of the tenant with its attempts, or DeliveryNotFound."""
        row = await self.repository.get_delivery(
            session, tenant_id=tenant_id, delivery_id=delivery_id
        )
        if row is None:
            raise DeliveryNotFound(delivery_id)
        return DeliveryRecord(row, await self.repository.attempts_of(session, delivery_id))

    async def redeliver(
        self, session: AsyncSession, *, tenant_id: str, delivery_id: UUID
    ) -> Row[Any]:
        """Make a delivery due now, whatever became of it, with the same `webhook-id` and body.

        A retryable failure of that attempt is retried only while the original schedule allows
        (attempt count and window), so a delivery that had already failed gets one more try.
        """
        row = await self.repository.get_delivery(
            session, tenant_id=tenant_id, delivery_id=delivery_id, for_update=True
        )
        if row is None:
            raise DeliveryNotFound(delivery_id)
        if row.status == DeliveryStatus.delivering:
            raise DeliveryInProgress(delivery_id)
        endpoint = await self.get_endpoint(
            session, tenant_id=tenant_id, endpoint_id=row.endpoint_id
        )
        if not endpoint.enabled:
            raise EndpointDisabled(endpoint.id, endpoint.disabled_reason)
        updated = await self.repository.schedule_now(
            session, delivery_id=delivery_id, now=datetime.now(UTC)
        )
        log.info(
            "webhook.redelivery_requested",
            delivery_id=str(delivery_id),
            tenant_id=tenant_id,
            was=row.status,
        )
        return updated

    def sealed_secrets(self, box: SecretBox) -> Sealed:
        """The endpoints' signing secrets at rest, for the worker's re-seal job."""
        return Sealed(self.repository.endpoint, "secret_encrypted", ("id",), box)
