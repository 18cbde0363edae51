"""All SQL of webhook endpoints, deliveries and attempts, on one service's tables.

Lock order, everywhere: a delivery before its endpoint. The dispatcher disables an endpoint in a
transaction of its own, after recording the delivery, so deleting an endpoint (which locks it,
then its deliveries) never waits on the dispatcher in a cycle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import (
    ColumnElement,
    Row,
    and_,
    any_,
    bindparam,
    case,
    cast,
    delete,
    func,
    literal,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import DateTime, Text

from beacon_shared import leases
from beacon_shared.pagination import Cursor
from beacon_shared.webhooks.schemas import DeliveryQuery
from beacon_shared.webhooks.tables import DeliveryStatus, WebhookTables

# What an attempt found out, overwritten when a real outcome replaces a placeholder.
_ATTEMPT_RESULT = ("at", "outcome", "status_code", "error", "duration_ms", "response_excerpt")


class WebhookRepository:
    """The SQL of one service's webhook tables."""

    def __init__(self, tables: WebhookTables) -> None:
        self.endpoint = tables.endpoint
        self.delivery = tables.delivery
        self.attempt = tables.attempt
        self._enqueue = self._enqueue_statement()

    def _enqueue_statement(self) -> Any:
        """The INSERT … SELECT behind `enqueue_for_subscribers`, its notices as array parameters."""
        notice = select(
            func.unnest(bindparam("tenant_ids", type_=ARRAY(Text))).label("tenant_id"),
            func.unnest(bindparam("event_types", type_=ARRAY(Text))).label("event_type"),
            func.unnest(bindparam("brand_ids", type_=ARRAY(Text))).label("brand_id"),
            func.unnest(bindparam("payloads", type_=ARRAY(Text))).label("payload"),
        ).subquery("notice")
        e = self.endpoint.c
        now = bindparam("now", type_=DateTime(timezone=True))
        subscribers = select(
            func.gen_random_uuid(),
            e.id,
            e.tenant_id,
            notice.c.event_type,
            cast(notice.c.payload, JSONB),
            literal(DeliveryStatus.pending.value, Text),
            now,
            now,
        ).where(
            e.tenant_id == notice.c.tenant_id,
            e.enabled,
            or_(
                func.cardinality(e.event_types) == 0,
                notice.c.event_type == any_(e.event_types),
            ),
            # Endpoints limited to some brands receive nothing about brandless events.
            or_(
                func.cardinality(e.brand_ids) == 0,
                and_(notice.c.brand_id.is_not(None), notice.c.brand_id == any_(e.brand_ids)),
            ),
        )
        return (
            insert(self.delivery)
            .from_select(
                [
                    "id",
                    "endpoint_id",
                    "tenant_id",
                    "event_type",
                    "payload",
                    "status",
                    "next_attempt_at",
                    "created_at",
                ],
                subscribers,
            )
            .returning(self.delivery.c.id)
        )

    def claimed_columns(self) -> tuple[ColumnElement[Any], ...]:
        """What the dispatcher needs to send a claimed delivery: the message and where it goes."""
        d, e = self.delivery.c, self.endpoint.c
        return (
            d.id,
            d.endpoint_id,
            d.tenant_id,
            d.payload,
            d.attempts,
            d.next_attempt_at,
            e.url,
            e.secret_encrypted,
        )

    # Endpoints

    async def insert_endpoint(self, session: AsyncSession, row: Mapping[str, Any]) -> Row[Any]:
        """Insert an endpoint and return it."""
        result = await session.execute(
            insert(self.endpoint).values(dict(row)).returning(self.endpoint)
        )
        stored: Row[Any] = result.one()
        return stored

    async def get_endpoint(
        self, session: AsyncSession, *, tenant_id: str, endpoint_id: UUID, for_update: bool = False
    ) -> Row[Any] | None:
        """One endpoint of the tenant."""
        stmt = select(self.endpoint).where(
            self.endpoint.c.tenant_id == tenant_id, self.endpoint.c.id == endpoint_id
        )
        if for_update:
            stmt = stmt.with_for_update()
        return (await session.execute(stmt)).first()

    async def list_endpoints(
        self, session: AsyncSession, *, tenant_id: str, after: Cursor | None, limit: int
    ) -> list[Row[Any]]:
        """Up to `limit` endpoints of the tenant, newest first, strictly after `after`."""
        e = self.endpoint.c
        stmt = select(self.endpoint).where(e.tenant_id == tenant_id)
        if after is not None:
            stmt = stmt.where(tuple_(e.created_at, e.id) < tuple_(after.at, after.id))
        stmt = stmt.order_by(e.created_at.desc(), e.id.desc()).limit(limit)
        return list((await session.execute(stmt)).all())

    async def update_endpoint(
        self, session: AsyncSession, *, endpoint_id: UUID, values: Mapping[str, Any]
    ) -> Row[Any]:
        """Change an endpoint (the caller holds its lock) and return it."""
        result = await session.execute(
            update(self.endpoint)
            .where(self.endpoint.c.id == endpoint_id)
            .values(dict(values))
            .returning(self.endpoint)
        )
        stored: Row[Any] = result.one()
        return stored

    async def delete_endpoint(
        self, session: AsyncSession, *, tenant_id: str, endpoint_id: UUID
    ) -> bool:
        """Delete an endpoint with its deliveries and attempts; False when the tenant has none
        such."""
        result = await session.execute(
            delete(self.endpoint)
            .where(self.endpoint.c.tenant_id == tenant_id, self.endpoint.c.id == endpoint_id)
            .returning(self.endpoint.c.id)
        )
        return result.first() is not None

    async def disable_endpoint(
        self, session: AsyncSession, *, endpoint_id: UUID, reason: str, now: datetime
    ) -> bool:
        """Stop deliveries to an endpoint; False when it was already disabled or is gone."""
        result = await session.execute(
            update(self.endpoint)
            .where(self.endpoint.c.id == endpoint_id, self.endpoint.c.enabled)
            .values(enabled=False, disabled_reason=reason, updated_at=now)
            .returning(self.endpoint.c.id)
        )
        return result.first() is not None

    # Deliveries

    async def enqueue_for_subscribers(
        self, session: AsyncSession, notices: Sequence[Mapping[str, Any]], *, now: datetime
    ) -> int:
        """One pending delivery per (notice, enabled endpoint of its tenant subscribed to its type
        and brand). Each notice: tenant_id, event_type, brand_id, payload.

        One INSERT … SELECT over all the notices, so a batch of events costs one statement, whether
        their tenants have endpoints or not; the notices go as arrays, so the statement is the same
        every time (compiled once, prepared once per connection).
        """
        if not notices:
            return 0
        result = await session.execute(
            self._enqueue,
            {
                "tenant_ids": [n["tenant_id"] for n in notices],
                "event_types": [n["event_type"] for n in notices],
                "brand_ids": [n["brand_id"] for n in notices],
                "payloads": [orjson.dumps(n["payload"]).decode() for n in notices],
                "now": now,
            },
        )
        return len(result.all())

    async def insert_delivery(self, session: AsyncSession, row: Mapping[str, Any]) -> Row[Any]:
        """Insert one delivery and return it."""
        result = await session.execute(
            insert(self.delivery).values(dict(row)).returning(self.delivery)
        )
        stored: Row[Any] = result.one()
        return stored

    async def get_delivery(
        self, session: AsyncSession, *, tenant_id: str, delivery_id: UUID, for_update: bool = False
    ) -> Row[Any] | None:
        """One delivery of the tenant."""
        stmt = select(self.delivery).where(
            self.delivery.c.tenant_id == tenant_id, self.delivery.c.id == delivery_id
        )
        if for_update:
            stmt = stmt.with_for_update()
        return (await session.execute(stmt)).first()

    async def list_deliveries(
        self,
        session: AsyncSession,
        *,
        tenant_id: str,
        endpoint_id: UUID,
        query: DeliveryQuery,
        after: Cursor | None,
        limit: int,
    ) -> list[Row[Any]]:
        """Up to `limit` deliveries to the endpoint, newest first, strictly after `after`."""
        d = self.delivery.c
        stmt = select(self.delivery).where(d.tenant_id == tenant_id, d.endpoint_id == endpoint_id)
        if query.status is not None:
            stmt = stmt.where(d.status == query.status.value)
        if query.event_type is not None:
            stmt = stmt.where(d.event_type == query.event_type)
        if after is not None:
            stmt = stmt.where(tuple_(d.created_at, d.id) < tuple_(after.at, after.id))
        stmt = stmt.order_by(d.created_at.desc(), d.id.desc()).limit(limit)
        return list((await session.execute(stmt)).all())

    async def attempts_of(self, session: AsyncSession, delivery_id: UUID) -> list[Row[Any]]:
        """A delivery's attempts, in order."""
        result = await session.execute(
            select(self.attempt)
            .where(self.attempt.c.delivery_id == delivery_id)
            .order_by(self.attempt.c.attempt)
        )
        return list(result.all())

    async def schedule_now(
        self, session: AsyncSession, *, delivery_id: UUID, now: datetime
    ) -> Row[Any]:
        """Make a delivery (locked by the caller) due at once and return it."""
        result = await session.execute(
            update(self.delivery)
            .where(self.delivery.c.id == delivery_id)
            .values(status=DeliveryStatus.pending.value, next_attempt_at=now, lease_until=None)
            .returning(self.delivery)
        )
        stored: Row[Any] = result.one()
        return stored

    # Dispatching

    async def claim_due(
        self, session: AsyncSession, *, now: datetime, lease_until: datetime, limit: int
    ) -> list[Row[Any]]:
        """Claim up to `limit` due deliveries to enabled endpoints that nobody else holds."""
        d = self.delivery.c
        claimed = await leases.claim(
            session,
            self.delivery,
            joined=self.delivery.join(self.endpoint, self.endpoint.c.id == d.endpoint_id),
            where=[
                d.status == DeliveryStatus.pending.value,
                d.next_attempt_at <= now,
                self.endpoint.c.enabled,
            ],
            order_by=[d.next_attempt_at],
            limit=limit,
            lease={
                "status": DeliveryStatus.delivering.value,
                "lease_until": lease_until,
                "attempts": d.attempts + 1,
                "last_attempt_at": now,
            },
            returning=[d.id],
        )
        ids = [row.id for row in claimed]
        if not ids:
            return []
        rows = await session.execute(
            select(*self.claimed_columns())
            .join(self.endpoint, self.endpoint.c.id == d.endpoint_id)
            .where(d.id.in_(ids))
            .order_by(d.next_attempt_at)
        )
        return list(rows.all())

    async def lock_delivery(self, session: AsyncSession, delivery_id: UUID) -> Row[Any] | None:
        """A delivery, locked until the transaction ends; None once deleted."""
        result = await session.execute(
            select(self.delivery).where(self.delivery.c.id == delivery_id).with_for_update()
        )
        return result.first()

    async def save_attempt(self, session: AsyncSession, row: Mapping[str, Any]) -> None:
        """Record an attempt; a real outcome replaces a placeholder left by a lease expiry."""
        stmt = insert(self.attempt).values(dict(row))
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=[self.attempt.c.delivery_id, self.attempt.c.attempt],
                set_={name: stmt.excluded[name] for name in _ATTEMPT_RESULT},
            )
        )

    async def first_attempt_at(self, session: AsyncSession, delivery_id: UUID) -> datetime | None:
        """When the delivery was first attempted."""
        at: datetime | None = await session.scalar(
            select(func.min(self.attempt.c.at)).where(self.attempt.c.delivery_id == delivery_id)
        )
        return at

    async def finish_attempt(
        self, session: AsyncSession, *, delivery_id: UUID, attempt: int, values: Mapping[str, Any]
    ) -> bool:
        """Apply an attempt's outcome; False when the claim was lost (its lease ran out)."""
        result = await session.execute(
            update(self.delivery)
            .where(
                self.delivery.c.id == delivery_id,
                self.delivery.c.status == DeliveryStatus.delivering.value,
                self.delivery.c.attempts == attempt,
            )
            .values({**values, "lease_until": None})
            .returning(self.delivery.c.id)
        )
        return result.first() is not None

    async def expire_leases(
        self,
        session: AsyncSession,
        *,
        now: datetime,
        max_attempts: int,
        error: str,
        limit: int,
    ) -> list[Row[Any]]:
        """Make claims whose lease ran out due again, or fail those out of attempts; returns
        them."""
        d = self.delivery.c
        out_of_attempts = d.attempts >= max_attempts
        expired = await leases.claim(
            session,
            self.delivery,
            where=[d.status == DeliveryStatus.delivering.value, d.lease_until < now],
            limit=limit,
            lease={
                "status": case(
                    (out_of_attempts, DeliveryStatus.failed.value),
                    else_=DeliveryStatus.pending.value,
                ),
                "next_attempt_at": case((out_of_attempts, None), else_=now),
                "last_error": error,
                "last_status_code": None,
                "lease_until": None,
            },
            returning=[d.id, d.attempts, d.last_attempt_at, d.status],
        )
        return list(expired)

    async def insert_placeholder_attempts(
        self, session: AsyncSession, rows: Sequence[Mapping[str, Any]]
    ) -> None:
        """Record attempts whose outcome nobody reported; a late real outcome replaces them."""
        if rows:
            await session.execute(
                insert(self.attempt).on_conflict_do_nothing(), [dict(r) for r in rows]
            )

    async def backlog(
        self, session: AsyncSession, *, now: datetime
    ) -> tuple[datetime | None, datetime | None]:
        """The creation time of the oldest undelivered message to an enabled endpoint, and the due
        time of the longest-waiting due one."""
        d = self.delivery.c
        due = and_(d.status == DeliveryStatus.pending.value, d.next_attempt_at <= now)
        row = (
            await session.execute(
                select(func.min(d.created_at), func.min(d.next_attempt_at).filter(due))
                .join(self.endpoint, self.endpoint.c.id == d.endpoint_id)
                .where(
                    self.endpoint.c.enabled,
                    d.status.in_((DeliveryStatus.pending.value, DeliveryStatus.delivering.value)),
                )
            )
        ).one()
        return row[0], row[1]

    async def delete_about(
        self, session: AsyncSession, *, tenant_id: str, field: str, values: Sequence[str]
    ) -> int:
        """Delete the tenant's deliveries whose event data has `field` among `values`; how many."""
        d = self.delivery.c
        result = await session.execute(
            delete(self.delivery).where(
                d.tenant_id == tenant_id, d.payload["data"][field].astext.in_(list(values))
            )
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
