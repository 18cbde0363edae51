"""The metric catalogue: what rollups store, and the figures derived from them on read.

Stored metrics are plain additive counts (or sums, e.g. seconds). Derived ones are computed
from stored sums after aggregation, never stored: a weighted sum (`engagement`) or a ratio
(`engagement_rate`), so a ratio over a period is the ratio of its sums, not a mean of ratios.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from beacon_shared.contracts.ingest import InteractionKind
from beacon_shared.contracts.moderation import SENTIMENT_THRESHOLD, ModerationAction

# Interactions by kind, from ingest's comment.received and engagement.recorded.
COMMENTS = "comments"
REPLIES = "replies"
MENTIONS = "mentions"
DIRECT_MESSAGES = "direct_messages"
REACTIONS = "reactions"
SHARES = "shares"
FOLLOWS = "follows"
KIND_METRICS: Mapping[InteractionKind, str] = {
    InteractionKind.comment: COMMENTS,
    InteractionKind.reply: REPLIES,
    InteractionKind.mention: MENTIONS,
    InteractionKind.direct_message: DIRECT_MESSAGES,
    InteractionKind.reaction: REACTIONS,
    InteractionKind.share: SHARES,
    InteractionKind.follow: FOLLOWS,
}
# The brand's own posts, from post.metrics.observed: increments between observed totals.
IMPRESSIONS = "impressions"
REACH = "reach"
# Sentiment of comments, from the label comment.moderated carries with the comment it is about.
SENTIMENT_POSITIVE = "sentiment.positive"
SENTIMENT_NEUTRAL = "sentiment.neutral"
SENTIMENT_NEGATIVE = "sentiment.negative"
# Moderation outcomes per action; a revision takes its replaced action back.
MODERATION_REVISIONS = "moderation.revisions"
# Care: first responses to comments, and the sum of their delays in seconds.
FIRST_RESPONSES = "first_responses"
FIRST_RESPONSE_SECONDS = "first_response.seconds"
# Publishing.
POSTS_SCHEDULED = "posts.scheduled"
POSTS_PUBLISHED = "posts.published"
POSTS_FAILED = "posts.failed"
# Events too old to be put in a bucket (see docs/analytics.md, "Bad input and lateness").
EVENTS_LATE = "events.late"
# Events whose time was ahead of their receipt and was clamped to it.
EVENTS_CLAMPED = "events.clamped"


def moderation_metric(action: ModerationAction | str) -> str:
    """The outcome metric of one moderation action, e.g. `moderation.hide`."""
    return f"moderation.{action}"


@dataclass(frozen=True)
class Metric:
    """A stored metric (`terms` empty), a weighted sum of others, or a ratio of two others."""

    name: str
    description: str
    terms: Mapping[str, int] = field(default_factory=dict)
    numerator: str | None = None
    denominator: str | None = None
    # A ratio whose denominator is zero over the period falls back to this one.
    fallback_denominator: str | None = None

    @property
    def stored(self) -> bool:
        """Whether rollup rows hold it as such."""
        return not self.terms and self.numerator is None

    @property
    def additive(self) -> bool:
        """Whether it sums over buckets and keys (so it can rank and be summed in SQL)."""
        return self.numerator is None


_CATALOGUE: dict[str, Metric] = {}


def register(metric: Metric) -> Metric:
    """Add a metric to the catalogue the API serves (other packages add theirs at import)."""
    existing = _CATALOGUE.get(metric.name)
    if existing is not None and existing != metric:
        raise ValueError(f"metric {metric.name!r} is already defined differently")
    for part in (*metric.terms, metric.numerator, metric.denominator, metric.fallback_denominator):
        if part is not None and part not in _CATALOGUE:
            raise ValueError(f"metric {metric.name!r} uses undefined {part!r}")
    _CATALOGUE[metric.name] = metric
    return metric


def catalogue() -> Mapping[str, Metric]:
    """Every metric by name."""
    return _CATALOGUE


def get(name: str) -> Metric | None:
    """The metric called `name`, if any."""
    return _CATALOGUE.get(name)


def stored_weights(name: str) -> dict[str, int]:
    """The stored metrics an additive metric sums, with their weights."""
    metric = _CATALOGUE[name]
    if metric.stored:
        return {name: 1}
    if not metric.additive:
        raise ValueError(f"{name!r} is a ratio")
    weights: dict[str, int] = {}
    for term, weight in metric.terms.items():
        for stored, inner in stored_weights(term).items():
            weights[stored] = weights.get(stored, 0) + weight * inner
    return weights


def stored_parts(names: Iterable[str]) -> set[str]:
    """Every stored metric needed to compute `names`."""
    parts: set[str] = set()
    for name in names:
        metric = _CATALOGUE[name]
        if metric.additive:
            parts.update(stored_weights(name))
        else:
            for side in (metric.numerator, metric.denominator, metric.fallback_denominator):
                if side is not None:
                    parts.update(stored_parts([side]))
    return parts


def evaluate(name: str, sums: Mapping[str, int]) -> float | int | None:
    """The value of `name` from the sums of stored metrics; None for a ratio of nothing."""
    metric = _CATALOGUE[name]
    if metric.additive:
        total = sum(sums.get(stored, 0) * w for stored, w in stored_weights(name).items())
        # Weighted differences (needing a response) never go below zero.
        return max(total, 0) if metric.terms else total
    assert metric.numerator is not None
    assert metric.denominator is not None
    numerator = evaluate(metric.numerator, sums) or 0
    denominator = evaluate(metric.denominator, sums) or 0
    if not denominator and metric.fallback_denominator is not None:
        denominator = evaluate(metric.fallback_denominator, sums) or 0
    return numerator / denominator if denominator else None


def ratio_basis(name: str, sums: Mapping[str, int]) -> str | None:
    """Which denominator a ratio used over `sums` (its own or its fallback); None if neither."""
    metric = _CATALOGUE[name]
    if metric.denominator is None:
        return None
    if evaluate(metric.denominator, sums):
        return metric.denominator
    if metric.fallback_denominator is not None and evaluate(metric.fallback_denominator, sums):
        return metric.fallback_denominator
    return None


def _stored(name: str, description: str) -> None:
    register(Metric(name, description))


for _kind, _name in KIND_METRICS.items():
    _stored(_name, f"Interactions of kind `{_kind.value}` received.")
_stored(IMPRESSIONS, "Impressions of the brand's own posts (increments between observations).")
_stored(REACH, "Reach of the brand's own posts, summed over posts (not de-duplicated).")
_CUT = SENTIMENT_THRESHOLD
_stored(SENTIMENT_POSITIVE, f"Comments scored positive (VADER compound >= {_CUT}).")
_stored(SENTIMENT_NEUTRAL, f"Comments scored neutral (compound between -{_CUT} and {_CUT}).")
_stored(SENTIMENT_NEGATIVE, f"Comments scored negative (VADER compound <= -{_CUT}).")
for _action in ModerationAction:
    _stored(moderation_metric(_action), f"Comments whose current moderation action is {_action}.")
_stored(MODERATION_REVISIONS, "Moderation decisions revised by a person.")
_stored(FIRST_RESPONSES, "Comments answered by Beacon (first reply only), at the comment's time.")
_stored(FIRST_RESPONSE_SECONDS, "Sum of first-response delays in seconds.")
_stored(POSTS_SCHEDULED, "Posts scheduled (new schedules only).")
_stored(POSTS_PUBLISHED, "Publications: a post published on one account.")
_stored(POSTS_FAILED, "Publications that failed for good.")
_stored(EVENTS_LATE, "Events older than the lateness horizon: counted here, in no bucket.")
_stored(EVENTS_CLAMPED, "Events dated in the future, counted at the time they were received.")

INTERACTIONS = "interactions"
ENGAGEMENT = "engagement"
CONVERSATIONS = "conversations"
NEEDING_RESPONSE = "needing_response"
SENTIMENT_SCORED = "sentiment.scored"
register(
    Metric(
        INTERACTIONS, "Every interaction received.", terms=dict.fromkeys(KIND_METRICS.values(), 1)
    )
)
register(
    Metric(
        ENGAGEMENT,
        "Reactions, comments (replies included) and shares.",
        terms={REACTIONS: 1, COMMENTS: 1, REPLIES: 1, SHARES: 1},
    )
)
register(
    Metric(
        CONVERSATIONS,
        "Comments, replies, mentions and direct messages.",
        terms={COMMENTS: 1, REPLIES: 1, MENTIONS: 1, DIRECT_MESSAGES: 1},
    )
)
register(
    Metric(
        NEEDING_RESPONSE,
        "Conversations not hidden or deleted by moderation: those that call for a response.",
        terms={
            CONVERSATIONS: 1,
            moderation_metric(ModerationAction.hide): -1,
            moderation_metric(ModerationAction.delete): -1,
        },
    )
)
register(
    Metric(
        SENTIMENT_SCORED,
        "Comments with a sentiment score.",
        terms={SENTIMENT_POSITIVE: 1, SENTIMENT_NEUTRAL: 1, SENTIMENT_NEGATIVE: 1},
    )
)
register(
    Metric(
        "engagement_rate",
        "Engagement per impression; per published post when no impression is known.",
        numerator=ENGAGEMENT,
        denominator=IMPRESSIONS,
        fallback_denominator=POSTS_PUBLISHED,
    )
)
register(
    Metric(
        "response_rate",
        "First responses per conversation needing one.",
        numerator=FIRST_RESPONSES,
        denominator=NEEDING_RESPONSE,
    )
)
register(
    Metric(
        "first_response.mean_seconds",
        "Mean first-response time in seconds.",
        numerator=FIRST_RESPONSE_SECONDS,
        denominator=FIRST_RESPONSES,
    )
)
for _side in (SENTIMENT_POSITIVE, SENTIMENT_NEUTRAL, SENTIMENT_NEGATIVE):
    register(
        Metric(
            f"{_side}_share",
            f"Share of scored comments that are {_side.split('.')[1]}.",
            numerator=_side,
            denominator=SENTIMENT_SCORED,
        )
    )
