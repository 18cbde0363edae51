"""comment.moderated's sentiment: one cut, and events from before the label read alike."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from beacon_shared.contracts.moderation import CommentModerated, sentiment_label

AT = datetime(2026, 11, 24, 10, tzinfo=UTC)


def decision(**fields: object) -> CommentModerated:
    """A comment.moderated as it is read from its JSON, with `fields` in its data."""
    return CommentModerated.model_validate(
        {
            "decision_id": str(uuid.uuid4()),
            "interaction_id": str(uuid.uuid4()),
            "network": "custom",
            "external_id": "c-1",
            "action": "allow",
            "decided_by": "rule:default.allow",
            "decided_at": AT.isoformat(),
            **fields,
        }
    )


@pytest.mark.parametrize(
    ("score", "label"),
    [(0.05, "positive"), (0.049, "neutral"), (-0.049, "neutral"), (-0.05, "negative")],
)
def test_a_score_is_cut_at_the_threshold(score, label):
    assert sentiment_label(score) == label


def test_an_event_with_a_label_is_read_by_it():
    assert decision(sentiment="neutral", scores={"sentiment": -0.9}).sentiment_of() == "neutral"


def test_an_event_sent_before_the_label_is_cut_from_its_score():
    old = decision(scores={"toxicity": 0.1, "sentiment": -0.05})
    assert (old.sentiment, old.comment_created_at, old.toxicity) == (None, None, None)
    assert old.sentiment_of() == "negative"


def test_an_event_without_a_score_has_no_sentiment():
    assert decision(scores={"toxicity": 0.1}).sentiment_of() is None
