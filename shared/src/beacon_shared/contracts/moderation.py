"""Events published by moderation."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from beacon_shared.contracts.common import ErasureOutcome, Network
from beacon_shared.contracts.ingest import InteractionKind
from beacon_shared.events import EventPayload

Sentiment = Literal["negative", "neutral", "positive"]
# What the author of a comment wants, as moderation's classifier reads it.
Intent = Literal["question", "complaint", "purchase_intent", "praise"]
# The cut on a sentiment score in [-1, 1] (VADER's compound for English), its authors'
# recommendation: at or over it positive, at or under its negative negative, neutral between.
# Said here only: moderation labels with it, and its consumers read the label.
SENTIMENT_THRESHOLD = 0.05
# The key of the sentiment score in `CommentModerated.scores`.
SENTIMENT_SCORE = "sentiment"


def sentiment_label(score: float) -> Sentiment:
    """The label of a sentiment score in [-1, 1], cut at SENTIMENT_THRESHOLD."""
    if score >= SENTIMENT_THRESHOLD:
        return "positive"
    if score <= -SENTIMENT_THRESHOLD:
        return "negative"
    return "neutral"


class ModerationAction(StrEnum):
    """What was decided for a comment."""

    allow = "allow"
    hide = "hide"
    delete = "delete"
    flag = "flag"
    reply = "reply"
    escalate = "escalate"


class Toxicity(BaseModel):
    """How offensive the classifier found the comment: overall and by kind, each in [0, 1]."""

    model_config = ConfigDict(frozen=True)

    overall: float = Field(description="`scores.toxicity`: any kind of offence.")
    insult: float | None = Field(default=None, description="`scores.insult`.")
    threat: float | None = Field(default=None, description="`scores.threat`.")
    hate: float | None = Field(default=None, description="`scores.hate`.")
    obscene: float | None = Field(default=None, description="`scores.obscene`.")


class CommentModerated(EventPayload):
    """The decision taken for one received comment."""

    event_type = "moderation.comment.moderated"
    topic = "comment.moderated"

    decision_id: UUID
    interaction_id: UUID = Field(description="Ingest's interaction id of the comment.")
    brand_id: str | None = None
    network: Network
    external_id: str
    action: ModerationAction
    decided_by: str = Field(description="`rule:<id>`, or the reviewer: `user:<id>` or `key:<id>`.")
    reasons: list[str] = Field(default_factory=list)
    model_version: str | None = None
    scores: dict[str, float] = Field(default_factory=dict)
    decided_at: datetime
    replaces_action: ModerationAction | None = Field(
        default=None,
        description="Set when a person revised the decision: the action this event replaces "
        "(same decision_id). Counting consumers take it back.",
    )
    replaces_decided_at: datetime | None = Field(
        default=None, description="When the replaced action was decided."
    )
    # Added: what the classifier detected, for consumers that index the text by language.
    language: str | None = Field(
        default=None,
        description="ISO 639-1 code of the comment's language (`und`: undetermined); unset on a "
        "person's revision.",
    )
    # Added: what the classifier and the comment say, so that consumers keep no join with
    # comment.received and no copy of the sentiment cut. Unset in events sent before.
    sentiment: Sentiment | None = Field(
        default=None,
        description=f"The sentiment label of `scores.sentiment`: ≥ {SENTIMENT_THRESHOLD} positive, "
        f"≤ -{SENTIMENT_THRESHOLD} negative, neutral between (unset when the comment was not "
        "scored). An event sent before this field is read by cutting its `scores.sentiment` the "
        "same way.",
    )
    toxicity: Toxicity | None = Field(
        default=None, description="The toxicity scores, also in `scores` (unset when not scored)."
    )
    kind: InteractionKind | None = Field(
        default=None, description="The comment's kind; unset on a person's revision."
    )
    intents: list[Intent] | None = Field(
        default=None,
        description="What the author wants, as the classifier read it (none, one or several); "
        "unset on a person's revision and in events sent before this field.",
    )
    account_external_id: str | None = Field(
        default=None,
        description="The network's id of the account the comment reached; unset on a person's "
        "revision.",
    )
    thread_external_id: str | None = Field(
        default=None,
        description="The post or conversation the comment is in; unset on a person's revision.",
    )
    author_id: str | None = Field(
        default=None,
        description="The network's id of the comment's author; unset on a person's revision.",
    )
    comment_created_at: datetime | None = Field(
        default=None,
        description="When the comment was made (comment.received's `created_at`); unset on a "
        "person's revision.",
    )
    comment_received_at: datetime | None = Field(
        default=None,
        description="When ingest stored the comment (comment.received's `received_at`); unset "
        "on a person's revision.",
    )

    def sentiment_of(self) -> Sentiment | None:
        """The sentiment label; for an event sent before the label was, cut from its score."""
        if self.sentiment is not None:
            return self.sentiment
        score = self.scores.get(SENTIMENT_SCORE)
        return None if score is None else sentiment_label(score)


class NetworkAction(StrEnum):
    """What moderation asks the network to do with a comment."""

    hide = "hide"
    delete = "delete"
    reply = "reply"


class ActionRequested(EventPayload):
    """Moderation asks for a hide, delete or reply on the network the comment came from.

    Carried out by ingest, which holds the connected account's credentials; `action_id` makes a
    redelivered request a no-op.
    """

    event_type = "moderation.action.requested"
    topic = "action.requested"

    action_id: UUID = Field(description="Moderation's id of the request; the idempotency key.")
    decision_id: UUID | None = Field(default=None, description="The decision that asked for it.")
    interaction_id: UUID = Field(description="Ingest's interaction id of the comment.")
    brand_id: str | None = None
    account_id: str | None = Field(default=None, description="The connected account it reached.")
    network: Network
    external_id: str = Field(description="The network's id of the comment acted on.")
    thread_external_id: str | None = None
    action: NetworkAction
    reply_text: str | None = Field(default=None, description="The reply's text, for `reply`.")
    author_handle: str | None = Field(
        default=None,
        description="The comment author's handle, for networks whose replies name them.",
    )
    requested_by: str = Field(description="`rule:<id>`, or who asked: `user:<id>` or `key:<id>`.")
    comment_created_at: datetime = Field(description="When the comment was made (response time).")
    requested_at: datetime


class ErasureCompleted(EventPayload, ErasureOutcome):
    """Moderation erased its copies of an author's comments and everything kept about them:
    decisions, review items, actions, audit entries and the brand labels learnt from them."""

    event_type = "moderation.erasure.completed"
    topic = "erasure.completed"
