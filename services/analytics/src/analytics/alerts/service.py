"""Counting observations into windows, evaluating closed windows, and the alerts they raise.

Everything happens in the caller's transaction (the consumer's, with its inbox row): a
redelivered event is dropped by the inbox before it reaches here, so windows and baselines move
once per event. Signals are locked in key order before their windows are touched, so concurrent
batches (other partitions, other replicas) take turns per brand.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.alerts import detector, repository
from analytics.alerts.detector import QUIET, WINDOW, Baseline, Change, Evaluation, Watch
from analytics.alerts.exceptions import AlertAlreadyResolved, AlertNotFound
from analytics.alerts.models import AlertStatus
from analytics.alerts.schemas import AlertQuery
from analytics.alerts.signals import Observation, SignalKey
from analytics.db import outbox as outbox_table
from beacon_shared import outbox
from beacon_shared.auth import Principal
from beacon_shared.auth.brands import require_on
from beacon_shared.contracts.analytics import AlertKind, AlertRaised, AlertResolved
from beacon_shared.events import Envelope, EventPayload
from beacon_shared.logging import get_logger
from beacon_shared.pagination import Cursor, split_page

log = get_logger(__name__)

SOURCE = "/beacon/analytics"
RESOLVED_BY_BASELINE = "baseline"
READ, WRITE = "analytics:read", "analytics:write"
QUIET_BATCH = 500


@dataclass(frozen=True)
class Signal:
    """A signal's stored state, as locked for this transaction."""

    key: SignalKey
    open_start: datetime
    watermark: datetime
    watch: Watch
    open_alert_id: UUID | None
    # When an event last reached it, by the clock: the clock job never moves it.
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> Signal:
        """From an `alert_signal` row."""
        return cls(
            key=SignalKey(row.tenant_id, row.brand_id, AlertKind(row.kind)),
            open_start=row.open_start,
            watermark=row.watermark,
            watch=Watch(
                Baseline(row.windows, row.mean, row.variance),
                calm_windows=row.calm_windows,
                alert_open=row.open_alert_id is not None,
                suppressed=row.suppressed,
            ),
            open_alert_id=row.open_alert_id,
            updated_at=row.updated_at,
        )


async def observe(
    session: AsyncSession, observations: Sequence[Observation], *, now: datetime | None = None
) -> int:
    """Count each observation in its window (an already evaluated one: the oldest open one),
    then evaluate the windows the newest events closed; returns the alerts raised or resolved."""
    if not observations:
        return 0
    now = now or datetime.now(UTC)
    times: dict[SignalKey, list[datetime]] = {}
    for observation in observations:
        times.setdefault(observation.key, []).append(observation.at)
    await repository.insert_missing_signals(
        session,
        [
            {
                "tenant_id": key.tenant_id,
                "brand_id": key.brand_id,
                "kind": key.kind.value,
                "open_start": detector.window_start(min(at)),
                "watermark": min(at),
                "updated_at": now,
            }
            for key, at in sorted(times.items())
        ],
    )
    signals = await _lock(session, list(times))
    counts: Counter[tuple[SignalKey, datetime]] = Counter()
    for observation in observations:
        signal = signals[observation.key]
        counts[(signal.key, max(detector.window_start(observation.at), signal.open_start))] += 1
    await repository.add_to_windows(session, counts)
    watermarks = {key: max(signals[key].watermark, max(at)) for key, at in times.items()}
    return await _advance(session, signals, watermarks, now=now, by_event=True)


async def close_quiet(session: AsyncSession, *, now: datetime | None = None) -> int:
    """Close the windows of brands with an alert open (or just closed by a person) that saw no
    event for QUIET, as if an event came in QUIET ago; returns the alerts resolved.

    Quiet means both: no event time in the last QUIET, and no event handled in the last QUIET by
    the clock. A consumer catching up on a backlog keeps handling the brand's old events, so
    their windows are left to event time.
    """
    now = now or datetime.now(UTC)
    rows = await repository.lock_quiet_signals(session, before=now - QUIET, limit=QUIET_BATCH)
    signals = {signal.key: signal for signal in map(Signal.from_row, rows)}
    if not signals:
        return 0
    return await _advance(
        session, signals, dict.fromkeys(signals, now - QUIET), now=now, by_event=False
    )


async def _lock(session: AsyncSession, keys: Sequence[SignalKey]) -> dict[SignalKey, Signal]:
    rows = await repository.lock_signals(session, keys)
    return {signal.key: signal for signal in map(Signal.from_row, rows)}


async def _advance(
    session: AsyncSession,
    signals: Mapping[SignalKey, Signal],
    watermarks: Mapping[SignalKey, datetime],
    *,
    now: datetime,
    by_event: bool,
) -> int:
    """Move each signal's watermark on and evaluate the windows it closes."""
    closing = {
        key: bound
        for key, signal in signals.items()
        if (bound := detector.closed_before(watermarks[key])) > signal.open_start
    }
    counts = await repository.window_counts(session, list(closing)) if closing else {}
    envelopes: list[Envelope] = []
    states: dict[SignalKey, dict[str, Any]] = {}
    for key, signal in signals.items():
        watch, open_start, open_alert_id = signal.watch, signal.open_start, signal.open_alert_id
        if key in closing:
            watch, changes = detector.run(
                watch, first=open_start, until=closing[key], counts=counts[key]
            )
            open_start = closing[key]
            for change in changes:
                open_alert_id = await _apply(session, key, change, open_alert_id, envelopes, now)
        updated_at = now if by_event else signal.updated_at
        states[key] = _state(open_start, watermarks[key], watch, open_alert_id, updated_at)
    await repository.drop_windows(session, closing)
    await repository.save_signals(session, states)
    await outbox.stage(session, outbox_table, envelopes)
    return len(envelopes)


async def _apply(
    session: AsyncSession,
    key: SignalKey,
    change: Evaluation,
    open_alert_id: UUID | None,
    envelopes: list[Envelope],
    now: datetime,
) -> UUID | None:
    """Raise or resolve the alert a window decided; returns the signal's open alert after it."""
    if change.change is Change.raise_:
        alert_id = uuid.uuid4()
        raised = AlertRaised(
            alert_id=alert_id,
            brand_id=key.brand_id,
            kind=key.kind,
            value=change.count,
            baseline=round(change.expected, 4),
            score=round(change.score, 4),
            window_start=change.window_start,
            window_end=change.window_start + WINDOW,
            raised_at=now,
        )
        await repository.insert_alert(
            session,
            {
                "id": alert_id,
                "tenant_id": key.tenant_id,
                "brand_id": key.brand_id,
                "kind": key.kind.value,
                "status": AlertStatus.open.value,
                "value": raised.value,
                "baseline": raised.baseline,
                "score": raised.score,
                "window_start": raised.window_start,
                "window_end": raised.window_end,
                "raised_at": now,
            },
        )
        envelopes.append(_envelope(raised, key))
        log.info(
            "alert.raised",
            tenant_id=key.tenant_id,
            brand_id=key.brand_id,
            kind=key.kind.value,
            value=change.count,
            baseline=raised.baseline,
            score=raised.score,
        )
        return alert_id
    if open_alert_id is not None:
        await _resolve(session, key, open_alert_id, RESOLVED_BY_BASELINE, envelopes, now)
    return None


async def _resolve(
    session: AsyncSession,
    key: SignalKey,
    alert_id: UUID,
    resolved_by: str,
    envelopes: list[Envelope],
    now: datetime,
) -> Row[Any] | None:
    row = await repository.resolve_alert(
        session, alert_id=alert_id, resolved_at=now, resolved_by=resolved_by
    )
    if row is None:
        return None
    resolved = AlertResolved(
        alert_id=alert_id,
        brand_id=key.brand_id,
        kind=key.kind,
        resolved_by=resolved_by,
        resolved_at=now,
    )
    envelopes.append(_envelope(resolved, key))
    log.info(
        "alert.resolved",
        tenant_id=key.tenant_id,
        brand_id=key.brand_id,
        kind=key.kind.value,
        resolved_by=resolved_by,
    )
    return row


def _state(
    open_start: datetime,
    watermark: datetime,
    watch: Watch,
    open_alert_id: UUID | None,
    updated_at: datetime,
) -> dict[str, Any]:
    return {
        "open_start": open_start,
        "watermark": watermark,
        "windows": watch.baseline.windows,
        "mean": watch.baseline.mean,
        "variance": watch.baseline.variance,
        "calm_windows": watch.calm_windows,
        "open_alert_id": open_alert_id,
        "suppressed": watch.suppressed,
        "updated_at": updated_at,
    }


def _envelope(payload: EventPayload, key: SignalKey) -> Envelope:
    # Keyed by brand: one brand's raised and resolved events stay in order on their topics.
    return Envelope.build(payload, tenant_id=key.tenant_id, subject=key.brand_id, source=SOURCE)


# People ---------------------------------------------------------------------------------------


async def resolve(session: AsyncSession, *, principal: Principal, alert_id: UUID) -> Row[Any]:
    """The principal closes an open alert; the detector raises none for that brand and kind
    again until the signal has been calm for CALM_WINDOWS windows. An alert of a brand the
    credential may not read is not found; one it may read but not change, 403."""
    tenant_id = principal.tenant_id
    found = await get(session, principal=principal, alert_id=alert_id)
    require_on(principal, WRITE, found.brand_id)
    key = SignalKey(tenant_id, found.brand_id, AlertKind(found.kind))
    # The signal first, as the detector locks it, then the alert.
    signal = (await _lock(session, [key])).get(key)
    now = datetime.now(UTC)
    envelopes: list[Envelope] = []
    resolved = await _resolve(session, key, alert_id, principal.actor, envelopes, now)
    if resolved is None:
        raise AlertAlreadyResolved(f"Alert {alert_id} was resolved already.")
    if signal is not None and signal.open_alert_id == alert_id:
        watch = Watch(signal.watch.baseline, calm_windows=0, alert_open=False, suppressed=True)
        state = _state(signal.open_start, signal.watermark, watch, None, signal.updated_at)
        await repository.save_signals(session, {key: state})
    await outbox.stage(session, outbox_table, envelopes)
    return resolved


async def get(session: AsyncSession, *, principal: Principal, alert_id: UUID) -> Row[Any]:
    """One alert of the organization, of a brand the credential may read."""
    found = await repository.get_alert(session, tenant_id=principal.tenant_id, alert_id=alert_id)
    if found is None or not principal.allows_on(READ, found.brand_id):
        raise AlertNotFound(f"No alert {alert_id}.")
    return found


async def list_page(
    session: AsyncSession, *, tenant_id: str, query: AlertQuery, brands: frozenset[str] | None
) -> tuple[Sequence[Row[Any]], str | None]:
    """A page of the tenant's alerts (of these brands, None: every brand), newest first, and the
    cursor of the next one."""
    after = Cursor.decode(query.cursor) if query.cursor else None
    rows = await repository.list_alerts(
        session,
        tenant_id=tenant_id,
        status=query.status,
        brands=brands,
        after=after,
        limit=query.limit + 1,
    )
    return split_page(rows, query.limit, at="raised_at")
