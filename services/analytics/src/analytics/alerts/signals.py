"""What the detector observes: each consumed event as (tenant, brand, kind, event time), or nothing.

Mention volume counts the comments, replies and mentions reaching a brand (comment.received, at
the network's creation time); direct messages are private and left out. Negative sentiment counts
moderation's first decision on each comment it labelled negative (`CommentModerated.sentiment`,
cut from the score by the contract for an event sent before the label), at the decision time; a
person's revision repeats the scores and is not counted again. Events without a brand are not
counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from analytics.alerts.detector import MAX_DELAY
from beacon_shared.contracts.analytics import AlertKind
from beacon_shared.contracts.ingest import CommentReceived, InteractionKind
from beacon_shared.contracts.moderation import CommentModerated
from beacon_shared.events import Envelope

MENTION_KINDS = frozenset({InteractionKind.comment, InteractionKind.reply, InteractionKind.mention})


@dataclass(frozen=True, order=True)
class SignalKey:
    """One detector: a tenant's brand and what is counted."""

    tenant_id: str
    brand_id: str
    kind: AlertKind


@dataclass(frozen=True)
class Observation:
    """One event counted in a signal at its event time."""

    key: SignalKey
    at: datetime


def comment_received(envelope: Envelope) -> Observation | None:
    """A comment, reply or mention reaching a brand counts in its mention volume."""
    comment = envelope.payload(CommentReceived)
    if comment.brand_id is None or comment.kind not in MENTION_KINDS:
        return None
    key = SignalKey(envelope.tenantid, comment.brand_id, AlertKind.mention_volume)
    return _observed(envelope, key, comment.created_at)


def comment_moderated(envelope: Envelope) -> Observation | None:
    """A first decision on a negative comment counts in the brand's negative sentiment."""
    decision = envelope.payload(CommentModerated)
    if decision.brand_id is None or decision.replaces_action is not None:
        return None
    if decision.sentiment_of() != "negative":
        return None
    key = SignalKey(envelope.tenantid, decision.brand_id, AlertKind.negative_sentiment)
    return _observed(envelope, key, decision.decided_at)


def _observed(envelope: Envelope, key: SignalKey, at: datetime) -> Observation | None:
    """The observation at its event time, or None when it arrived too late to be buzz.

    A time after the event's own creation (a network's clock running ahead) is taken back to
    the creation, so one skewed clock cannot close a brand's windows early.
    """
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    sent = envelope.time
    event_time = min(aware, sent)
    if sent - event_time > MAX_DELAY:
        return None
    return Observation(key, event_time)
