"""The heightened adjustment: only `allow` becomes `flag`, for negative or somewhat toxic text."""

from __future__ import annotations

import pytest

from beacon_shared.contracts.moderation import ModerationAction
from moderation.alerts.adjustment import RULE_ID, heighten
from moderation.rules import Verdict


def verdict(action: ModerationAction, *, sentiment: float, toxicity: float = 0.01) -> Verdict:
    return Verdict(
        action,
        "default.allow",
        reasons=["kept"],
        scores={"toxicity": toxicity, "spam": 0.0, "sentiment": sentiment},
        rule_set_version=0,
        labels=("vip",),
    )


class TestHeighten:
    def test_an_allowed_negative_comment_is_flagged_for_review(self):
        flagged = heighten(verdict(ModerationAction.allow, sentiment=-0.4))
        assert flagged.action is ModerationAction.flag
        assert flagged.rule_id == RULE_ID
        assert flagged.decided_by == "rule:bad_buzz.review"
        assert list(flagged.reasons) == ["kept", "bad_buzz:negative"]
        assert flagged.labels == ("vip", "bad_buzz")
        assert flagged.rule_set_version == 0

    def test_the_classifier_s_own_negative_cut_is_used(self):
        assert heighten(verdict(ModerationAction.allow, sentiment=-0.05)).action == "flag"
        assert heighten(verdict(ModerationAction.allow, sentiment=-0.04)).action == "allow"

    def test_toxicity_from_half_the_default_flag_threshold_is_flagged(self):
        flagged = heighten(verdict(ModerationAction.allow, sentiment=0.3, toxicity=0.25))
        assert flagged.action is ModerationAction.flag
        assert list(flagged.reasons) == ["kept", "bad_buzz:toxic"]
        below = verdict(ModerationAction.allow, sentiment=0.3, toxicity=0.24)
        assert heighten(below) is below

    def test_a_positive_comment_stays_allowed(self):
        kept = verdict(ModerationAction.allow, sentiment=0.6)
        assert heighten(kept) is kept

    @pytest.mark.parametrize(
        "action",
        [ModerationAction.hide, ModerationAction.reply, ModerationAction.escalate],
    )
    def test_other_decisions_stand(self, action):
        decided = verdict(action, sentiment=-0.9, toxicity=0.4)
        assert heighten(decided) is decided
