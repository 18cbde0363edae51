"""Recording clicks and conversions: checked, attributed, stored once, rolled up by day.

Attribution happens on receipt: utm_campaign names the campaign (the tenant's campaign that
claimed it last), utm_source (or `network`) the network, utm_content (or `post_id`) the post.
A conversion whose campaign is not known yet is stored unattributed and attributed when the
campaign arrives (see `campaigns.apply_changes`); none is ever dropped.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.roi import repository
from analytics.roi.attribution import network_of, post_of
from analytics.roi.exceptions import ConversionIdReused, InvalidConversion, body_error
from analytics.roi.models import ConversionKind, Unattributed, conversion_keys
from analytics.roi.repository import DayDelta, DayKey
from analytics.roi.schemas import ConversionIn, ConversionOut, ConversionResult
from beacon_shared import idempotency
from beacon_shared.contracts.common import Network
from beacon_shared.logging import get_logger

log = get_logger(__name__)

# How far ahead of our clock a conversion may say it happened (the sender's clock may be fast).
MAX_CLOCK_SKEW = timedelta(minutes=5)
VALUE_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Submission:
    """One conversion of a request, and where it sits in the body."""

    body: ConversionIn
    pointer: str = ""


class Recorded(BaseModel):
    """What an Idempotency-Key keeps: the conversions' ids, in the request's order (a replay
    shows them as they are now)."""

    ids: list[UUID]


@dataclass(frozen=True)
class Stored:
    """A stored conversion, and whether an earlier request had stored it."""

    row: Mapping[str, Any]
    replayed: bool

    def out(self) -> ConversionOut:
        """The conversion as the API shows it."""
        return ConversionOut.model_validate(_out_fields(self.row))

    def result(self) -> ConversionResult:
        """The conversion as a batch item."""
        return ConversionResult.model_validate({**_out_fields(self.row), "replayed": self.replayed})


def check(submission: Submission, *, now: datetime) -> list[dict[str, object]]:
    """What is wrong with the conversion beyond its fields' own rules, with pointers."""
    body, at = submission.body, submission.pointer
    errors = []
    if body.kind is ConversionKind.click and body.value is not None:
        errors.append(body_error(f"{at}/value", "click_value", "a click carries no value"))
    elif body.value is not None and body.currency is None:
        errors.append(body_error(f"{at}/currency", "currency_required", "required with value"))
    if body.currency is not None and body.value is None:
        errors.append(body_error(f"{at}/value", "value_required", "required with currency"))
    if body.occurred_at > now + MAX_CLOCK_SKEW:
        errors.append(
            body_error(
                f"{at}/occurred_at",
                "in_the_future",
                f"more than {MAX_CLOCK_SKEW.seconds // 60} minutes ahead of the server's clock",
            )
        )
    return errors


def fingerprint(body: ConversionIn) -> str:
    """A digest of a conversion, to tell a retry from the reuse of its id for another one."""
    data = body.model_dump(mode="json")
    if body.value is not None:
        # "49.9" and "49.90" are the same value.
        data["value"] = str(body.value.quantize(VALUE_PLACES))
    return idempotency.fingerprint(data)


def batch_fingerprint(bodies: Sequence[ConversionIn]) -> str:
    """A digest of a batch: of its conversions' digests, in order."""
    return idempotency.fingerprint([fingerprint(body) for body in bodies])


async def record_once(
    session: AsyncSession,
    *,
    tenant_id: str,
    key: str | None,
    request: str,
    submissions: Sequence[Submission],
) -> tuple[list[Stored], bool]:
    """`record` under an Idempotency-Key: the conversions, and True when the key had recorded
    them before (each then a replay). `request` is the request's fingerprint."""
    recorded: list[Stored] = []

    async def produce(session: AsyncSession) -> Recorded:
        recorded[:] = await record(session, tenant_id=tenant_id, submissions=submissions)
        return Recorded(ids=[stored.row["id"] for stored in recorded])

    answer = await idempotency.answer_once(
        conversion_keys,
        idempotency.savepoints(session),
        tenant_id=tenant_id,
        key=key,
        request=request,
        model=Recorded,
        produce=produce,
    )
    if not answer.replayed:
        return recorded, False
    rows = {row.id: row for row in await repository.conversions_by_id(session, answer.value.ids)}
    return [Stored(rows[id_]._asdict(), replayed=True) for id_ in answer.value.ids], True


async def record(
    session: AsyncSession,
    *,
    tenant_id: str,
    submissions: Sequence[Submission],
    now: datetime | None = None,
) -> list[Stored]:
    """Store the conversions not stored before and roll up the attributed ones; all or nothing.

    Returns each submission's conversion in order, replays included. InvalidConversion (422)
    names every invalid field; ConversionIdReused (422) an id already used for another one.
    """
    now = now or datetime.now(UTC)
    errors = [error for submission in submissions for error in check(submission, now=now)]
    if errors:
        raise InvalidConversion(errors)
    utms = {s.body.utm_campaign for s in submissions if s.body.utm_campaign is not None}
    await repository.lock_utm_campaigns(
        session, [(tenant_id, utm) for utm in utms], exclusive=False
    )
    campaigns = await repository.resolve_utm_campaigns(
        session, tenant_id=tenant_id, utm_campaigns=utms
    )
    rows = [_row(tenant_id, s, campaigns, now) for s in submissions]
    inserted = await repository.insert_conversions(session, rows)
    await repository.add_to_days(session, day_deltas(r for r in rows if r["id"] in inserted))
    replays = await _replays(session, tenant_id, submissions, rows, inserted)
    stored = [
        Stored(row, replayed=False) if row["id"] in inserted else replays[index]
        for index, row in enumerate(rows)
    ]
    unattributed = sum(1 for r in rows if r["id"] in inserted and r["campaign_id"] is None)
    log.info(
        "conversions.recorded",
        tenant_id=tenant_id,
        created=len(inserted),
        replayed=len(rows) - len(inserted),
        unattributed=unattributed,
    )
    return stored


def day_deltas(rows: Iterable[Mapping[str, Any]]) -> dict[DayKey, DayDelta]:
    """The rollup increments of attributed conversions, summed per rollup row."""
    deltas: dict[DayKey, DayDelta] = {}
    for row in rows:
        if row["campaign_id"] is None:
            continue
        key = DayKey(
            tenant_id=row["tenant_id"],
            campaign_id=row["campaign_id"],
            day=row["occurred_at"].astimezone(UTC).date(),
            network=row["network"] or "",
            post_id=str(row["post_id"]) if row["post_id"] is not None else "",
            currency=row["currency"] or "",
        )
        clicks, conversions, value = deltas.get(key, DayDelta(0, 0, Decimal(0)))
        is_click = row["kind"] == ConversionKind.click.value
        deltas[key] = DayDelta(
            clicks=clicks + is_click,
            conversions=conversions + (not is_click),
            value=value + (row["value"] or Decimal(0)),
        )
    return deltas


def _row(
    tenant_id: str, submission: Submission, campaigns: Mapping[str, UUID], now: datetime
) -> dict[str, Any]:
    body = submission.body
    network = network_of(body.utm_source, body.network)
    campaign_id = campaigns.get(body.utm_campaign) if body.utm_campaign is not None else None
    reason: Unattributed | None = None
    if body.utm_campaign is None:
        reason = Unattributed.no_utm_campaign
    elif campaign_id is None:
        reason = Unattributed.unknown_campaign
    return {
        "id": uuid.uuid4(),
        "tenant_id": tenant_id,
        "conversion_id": body.conversion_id,
        "request_hash": fingerprint(body),
        "kind": body.kind.value,
        "occurred_at": body.occurred_at,
        "value": body.value.quantize(VALUE_PLACES) if body.value is not None else None,
        "currency": body.currency,
        "utm_source": body.utm_source,
        "utm_medium": body.utm_medium,
        "utm_campaign": body.utm_campaign,
        "utm_content": body.utm_content,
        "network": network.value if network is not None else None,
        "post_id": post_of(body.utm_content, body.post_id),
        "campaign_id": campaign_id,
        "unattributed_reason": reason.value if reason is not None else None,
        "received_at": now,
        "attributed_at": now if campaign_id is not None else None,
    }


async def _replays(
    session: AsyncSession,
    tenant_id: str,
    submissions: Sequence[Submission],
    rows: Sequence[Mapping[str, Any]],
    inserted: set[UUID],
) -> dict[int, Stored]:
    """The stored conversion each submission not inserted replays; ConversionIdReused for any
    whose id stored something else."""
    pending = [i for i, row in enumerate(rows) if row["id"] not in inserted]
    if not pending:
        return {}
    existing = await repository.conversions_by_client_ids(
        session,
        tenant_id=tenant_id,
        conversion_ids=[rows[i]["conversion_id"] for i in pending if rows[i]["conversion_id"]],
    )
    by_id = {r.conversion_id: r for r in existing if r.conversion_id is not None}
    replays: dict[int, Stored] = {}
    errors = []
    for i in pending:
        row, at = rows[i], submissions[i].pointer
        found: Row[Any] | None = by_id.get(row["conversion_id"])
        if found is None:
            # Only a conversion_id makes an insert conflict, and it finds its row.
            raise RuntimeError("a conversion was neither stored nor found")
        if found.request_hash != row["request_hash"]:
            errors.append(body_error(f"{at}/conversion_id", "conversion_id_reused", "already used"))
            continue
        replays[i] = Stored(found._asdict(), replayed=True)
    if errors:
        raise ConversionIdReused(errors)
    return replays


def _out_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        **{name: row[name] for name in ConversionOut.model_fields if name in row},
        "network": Network(row["network"]) if row["network"] is not None else None,
        "attributed": row["campaign_id"] is not None,
        "reason": row["unattributed_reason"],
    }
