"""The heightened-moderation adjustment, applied after a brand's rules while an alert is open.

It only ever turns `allow` into `flag`: a comment the rules let through goes to the review queue
when its sentiment score is labelled negative (the classifier's own cut, sentiment_label)
or its toxicity reaches HEIGHTENED_TOXICITY (half the default rules' flag threshold). Nothing is
hidden or deleted on this account, and every other verdict (hide, reply, flag…) stands: during a
bad buzz a person reads more, the brand's rules stay as they were written.
"""

from __future__ import annotations

from dataclasses import replace

from beacon_shared.contracts.moderation import SENTIMENT_SCORE, ModerationAction, sentiment_label
from moderation.rules.default import TOXIC_FLAG
from moderation.rules.policy import Verdict

HEIGHTENED_TOXICITY = TOXIC_FLAG / 2
RULE_ID = "bad_buzz.review"
REASON = "bad_buzz"


def heighten(verdict: Verdict) -> Verdict:
    """The verdict under heightened moderation."""
    if verdict.action is not ModerationAction.allow:
        return verdict
    sentiment = verdict.scores.get(SENTIMENT_SCORE)
    toxicity = verdict.scores.get("toxicity")
    negative = sentiment is not None and sentiment_label(sentiment) == "negative"
    toxic = toxicity is not None and toxicity >= HEIGHTENED_TOXICITY
    if not (negative or toxic):
        return verdict
    return replace(
        verdict,
        action=ModerationAction.flag,
        rule_id=RULE_ID,
        reasons=[
            *verdict.reasons,
            *([f"{REASON}:negative"] if negative else []),
            *([f"{REASON}:toxic"] if toxic else []),
        ],
        labels=(*verdict.labels, REASON),
    )
