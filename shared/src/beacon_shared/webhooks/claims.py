"""The dispatcher's side of deliveries: claiming due ones, recording attempts, reclaiming lost
claims. Each function runs in the caller's short transaction; the POST happens between them.

A claim adds one to `attempts`, and that number fences it: an outcome is applied only while the
delivery is still `delivering` with the same count, so a worker whose lease ran out (and whose
delivery another worker took) logs its attempt but changes nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.logging import get_logger
from beacon_shared.webhooks.delivery import Attempt, JsonValue
from beacon_shared.webhooks.repository import WebhookRepository
from beacon_shared.webhooks.schedule import MAX_ATTEMPTS, Outcome, Uniform, next_attempt_at
from beacon_shared.webhooks.tables import DeliveryStatus, WebhookTables

log = get_logger(__name__)

LEASE_EXPIRED = "no outcome was recorded before the claim's lease ran out"


@dataclass(frozen=True)
class ClaimedDelivery:
    """A delivery this worker holds until its lease ends, with what it needs to send it."""

    id: UUID
    endpoint_id: UUID
    tenant_id: str
    url: str
    secret_encrypted: bytes
    event_type: str
    data: Mapping[str, JsonValue]
    occurred_at: datetime
    attempt: int


@dataclass(frozen=True)
class Recorded:
    """What recording an attempt did: the delivery's new status, and whether it was ours still."""

    status: DeliveryStatus | None
    applied: bool


class Claims:
    """The dispatcher's side of one service's deliveries."""

    def __init__(self, tables: WebhookTables) -> None:
        self.repository = WebhookRepository(tables)

    async def claim_due(
        self, session: AsyncSession, *, now: datetime, lease: timedelta, limit: int
    ) -> list[ClaimedDelivery]:
        """Claim due deliveries to enabled endpoints that no other worker holds, for `lease`."""
        rows = await self.repository.claim_due(
            session, now=now, lease_until=now + lease, limit=limit
        )
        return [
            ClaimedDelivery(
                id=row.id,
                endpoint_id=row.endpoint_id,
                tenant_id=row.tenant_id,
                url=row.url,
                secret_encrypted=row.secret_encrypted,
                event_type=row.payload["type"],
                data=row.payload["data"],
                occurred_at=datetime.fromisoformat(row.payload["timestamp"]),
                attempt=row.attempts,
            )
            for row in rows
        ]

    async def record_attempt(
        self,
        session: AsyncSession,
        claimed: ClaimedDelivery,
        attempt: Attempt,
        *,
        rng: Uniform | None = None,
    ) -> Recorded:
        """Log the attempt and, while the claim is still ours, apply its outcome to the delivery."""
        row = await self.repository.lock_delivery(session, claimed.id)
        if row is None:
            return Recorded(status=None, applied=False)  # the endpoint was deleted meanwhile
        await self.repository.save_attempt(
            session,
            {
                "delivery_id": claimed.id,
                "attempt": claimed.attempt,
                "at": attempt.attempted_at,
                "outcome": attempt.outcome.value,
                "status_code": attempt.status_code,
                "error": attempt.error,
                "duration_ms": attempt.duration_ms,
                "response_excerpt": attempt.response_excerpt,
            },
        )
        if row.status != DeliveryStatus.delivering or row.attempts != claimed.attempt:
            log.warning("webhook.claim_lost", delivery_id=str(claimed.id), attempt=claimed.attempt)
            return Recorded(status=DeliveryStatus(row.status), applied=False)
        values = await self._outcome_values(session, claimed, attempt, rng=rng)
        await self.repository.finish_attempt(
            session, delivery_id=claimed.id, attempt=claimed.attempt, values=values
        )
        return Recorded(status=DeliveryStatus(values["status"]), applied=True)

    async def _outcome_values(
        self,
        session: AsyncSession,
        claimed: ClaimedDelivery,
        attempt: Attempt,
        *,
        rng: Uniform | None,
    ) -> dict[str, Any]:
        ended = attempt.attempted_at + timedelta(milliseconds=attempt.duration_ms)
        values: dict[str, Any] = {
            "last_status_code": attempt.status_code,
            "last_attempt_at": attempt.attempted_at,
            "last_error": attempt.error,
            "next_attempt_at": None,
        }
        answered = f"the endpoint answered {attempt.status_code}"
        match attempt.outcome:
            case Outcome.DELIVERED:
                values.update(
                    status=DeliveryStatus.delivered.value, delivered_at=ended, last_error=None
                )
            case Outcome.RETRY:
                first = await self.repository.first_attempt_at(session, claimed.id)
                retry_at = next_attempt_at(
                    claimed.attempt,
                    first_attempt_at=first or attempt.attempted_at,
                    now=ended,
                    retry_after=attempt.retry_after,
                    rng=rng,
                )
                if retry_at is None:
                    cause = attempt.error or answered
                    values.update(
                        status=DeliveryStatus.failed.value,
                        last_error=f"gave up after {claimed.attempt} attempts: {cause}",
                    )
                else:
                    values.update(status=DeliveryStatus.pending.value, next_attempt_at=retry_at)
            case Outcome.FAILED:
                values.update(
                    status=DeliveryStatus.failed.value,
                    last_error=attempt.error or f"{answered}, which is not retried",
                )
            case Outcome.DISABLED:
                values.update(
                    status=DeliveryStatus.failed.value,
                    last_error=f"{answered} (Gone): the endpoint was disabled",
                )
        return values

    async def disable_gone_endpoint(
        self, session: AsyncSession, *, endpoint_id: UUID, now: datetime
    ) -> bool:
        """Disable an endpoint that answered 410 Gone; its other deliveries wait until it is
        enabled again."""
        return await self.repository.disable_endpoint(
            session,
            endpoint_id=endpoint_id,
            reason=f"the endpoint answered 410 Gone at {now.isoformat()}",
            now=now,
        )

    async def reclaim_expired(
        self, session: AsyncSession, *, now: datetime, limit: int = 500
    ) -> int:
        """Make deliveries whose worker vanished due again (or fail those out of attempts); their
        attempt is logged with no outcome. Returns how many were reclaimed."""
        rows = await self.repository.expire_leases(
            session, now=now, max_attempts=MAX_ATTEMPTS, error=LEASE_EXPIRED, limit=limit
        )
        await self.repository.insert_placeholder_attempts(
            session,
            [
                {
                    "delivery_id": row.id,
                    "attempt": row.attempts,
                    "at": row.last_attempt_at or now,
                    "outcome": (
                        Outcome.FAILED.value
                        if row.status == DeliveryStatus.failed
                        else Outcome.RETRY.value
                    ),
                    "error": LEASE_EXPIRED,
                    "duration_ms": 0,
                    "response_excerpt": "",
                }
                for row in rows
            ],
        )
        for row in rows:
            log.warning("webhook.lease_expired", delivery_id=str(row.id), status=row.status)
        return len(rows)

    async def backlog_ages(self, session: AsyncSession, *, now: datetime) -> tuple[float, float]:
        """Seconds since the oldest undelivered message (to an enabled endpoint) was queued, and
        since the longest-waiting due one fell due; 0 when there is none."""
        oldest, due = await self.repository.backlog(session, now=now)
        return _age(oldest, now), _age(due, now)


def _age(since: datetime | None, now: datetime) -> float:
    return 0.0 if since is None else max(0.0, (now - since).total_seconds())
