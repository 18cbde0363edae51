"""The facts each consumed event contributes (no database)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from analytics.decisions.extract import decision_facts
from analytics.interactions.extract import comment_fact, engagement_fact
from analytics.rollups.lateness import Placement
from beacon_shared.contracts.common import Network
from beacon_shared.contracts.ingest import InteractionKind
from beacon_shared.contracts.moderation import CommentModerated, ModerationAction, sentiment_label
from beacon_shared.events import MalformedEvent

AT = datetime(2026, 11, 24, 10, 15, 42, tzinfo=UTC)


class TestComments:
    def test_a_comment_counts_by_kind_with_its_account_thread_and_author(self, events):
        envelope = events.comment(network=Network.facebook, account="page-1", thread="p-9")
        fact = comment_fact(envelope, Placement())
        assert fact is not None
        assert (fact.metric, fact.amount, fact.at) == ("comments", 1, AT)
        assert (fact.brand_id, fact.network, fact.account) == (
            "brand-a",
            "facebook",
            "facebook:page-1",
        )
        assert (fact.thread, fact.author) == ("p-9", "facebook:u-1")

    @pytest.mark.parametrize(
        ("kind", "metric"),
        [
            (InteractionKind.mention, "mentions"),
            (InteractionKind.direct_message, "direct_messages"),
        ],
    )
    def test_mentions_and_messages_are_not_about_the_brand_s_posts(self, events, kind, metric):
        fact = comment_fact(events.comment(kind=kind, thread="someone-else"), Placement())
        assert fact is not None
        assert (fact.metric, fact.thread) == (metric, None)

    def test_a_comment_without_brand_or_account_counts_under_the_empty_brand(self, events):
        fact = comment_fact(events.comment(brand_id=None, account=None), Placement())
        assert fact is not None
        assert (fact.brand_id, fact.account) == ("", None)

    def test_a_comment_past_the_horizon_counts_as_late_only(self, events):
        placement = Placement()
        old = events.comment(created_at=AT - timedelta(days=40), received=AT)
        assert comment_fact(old, placement) is None
        assert [f.metric for f in placement.policy_facts] == ["events.late"]

    def test_data_not_matching_the_contract_is_malformed(self, events):
        envelope = events.comment()
        broken = envelope.model_copy(update={"data": {**envelope.data, "kind": "smoke signal"}})
        with pytest.raises(MalformedEvent):
            comment_fact(broken, Placement())


class TestEngagements:
    def test_a_reaction_counts_toward_what_it_targets(self, events):
        fact = engagement_fact(events.engagement(target="p-9"), Placement())
        assert fact is not None
        # A reaction makes nobody an author (authors write; see the author rollup).
        assert (fact.metric, fact.thread, fact.author) == ("reactions", "p-9", None)

    def test_a_share_counts_toward_its_post_and_its_author(self, events):
        fact = engagement_fact(
            events.engagement(kind=InteractionKind.share, target="p-9"), Placement()
        )
        assert fact is not None
        assert (fact.metric, fact.thread, fact.author) == ("shares", "p-9", "custom:u-2")

    def test_a_follow_targets_no_post(self, events):
        fact = engagement_fact(
            events.engagement(kind=InteractionKind.follow, target="x"), Placement()
        )
        assert fact is not None
        assert (fact.metric, fact.thread) == ("follows", None)


class TestDecisions:
    def test_a_first_decision_counts_its_action_and_carries_the_sentiment(self, events):
        comment = uuid.uuid4()
        events.comment(interaction_id=comment, created_at=AT - timedelta(minutes=1))
        facts = decision_facts(
            events.decision(action=ModerationAction.allow, interaction_id=comment, sentiment=0.6),
            Placement(),
        )
        assert [(f.metric, f.amount, f.network) for f in facts] == [
            ("moderation.allow", 1, "custom"),
            ("sentiment.positive", 1, "custom"),
        ]

    def test_the_sentiment_counts_at_the_comment_s_time_cut_like_the_comment(self, events):
        comment = uuid.uuid4()
        events.comment(
            interaction_id=comment,
            network=Network.facebook,
            account="page-1",
            thread="p-9",
            created_at=AT - timedelta(minutes=1),
        )
        decided = events.decision(interaction_id=comment, sentiment=-0.3)
        assert decided.payload(CommentModerated).sentiment == "negative"
        sentiment = decision_facts(decided, Placement())[-1]
        assert sentiment.metric == "sentiment.negative"
        assert (sentiment.account, sentiment.thread, sentiment.author, sentiment.at) == (
            "facebook:page-1",
            "p-9",
            "facebook:u-1",
            AT - timedelta(minutes=1),
        )

    def test_a_mention_s_sentiment_is_not_about_a_post_of_the_brand(self, events):
        comment = uuid.uuid4()
        events.comment(interaction_id=comment, kind=InteractionKind.mention, thread="theirs")
        sentiment = decision_facts(
            events.decision(interaction_id=comment, sentiment=0.3), Placement()
        )
        assert (sentiment[-1].metric, sentiment[-1].thread) == ("sentiment.positive", None)

    def test_a_comment_late_at_its_receipt_counts_late_once_and_no_sentiment(self, events):
        comment = uuid.uuid4()
        events.comment(interaction_id=comment, created_at=AT - timedelta(days=40), received=AT)
        placement = Placement()
        facts = decision_facts(events.decision(interaction_id=comment, sentiment=0.6), placement)
        # comment.received counts it late; the decision does not count it again.
        assert [f.metric for f in facts] == ["moderation.hide"]
        assert placement.policy_facts == []

    def test_a_comment_decided_past_the_horizon_counts_its_sentiment_as_late(self, events):
        comment = uuid.uuid4()
        events.comment(interaction_id=comment, created_at=AT - timedelta(days=40))
        placement = Placement()
        facts = decision_facts(events.decision(interaction_id=comment, sentiment=0.6), placement)
        assert [f.metric for f in facts] == ["moderation.hide"]
        assert [f.metric for f in placement.policy_facts] == ["events.late"]

    def test_an_old_event_is_labelled_from_its_score_and_counted_at_its_decision(self, events):
        comment = uuid.uuid4()
        events.comment(interaction_id=comment, account="page-1", created_at=AT - timedelta(hours=2))
        old = events.decision(interaction_id=comment, sentiment=-0.05, old=True)
        assert "sentiment" not in old.data
        assert "comment_created_at" not in old.data
        sentiment = decision_facts(old, Placement())[-1]
        # Without the comment's where, who and when: the brand and network only, at the
        # decision's time.
        assert (sentiment.metric, sentiment.at, sentiment.network) == (
            "sentiment.negative",
            AT,
            "custom",
        )
        assert (sentiment.account, sentiment.thread, sentiment.author) == (None, None, None)

    def test_a_decision_without_a_sentiment_score_carries_none(self, events):
        assert [f.metric for f in decision_facts(events.decision(), Placement())] == [
            "moderation.hide"
        ]

    def test_a_revision_takes_back_the_replaced_action_where_it_was_counted(self, events):
        later = AT + timedelta(hours=3)
        facts = decision_facts(
            events.decision(
                action=ModerationAction.hide,
                decided_at=later,
                sentiment=-0.9,
                replaces_action=ModerationAction.flag,
                replaces_decided_at=AT,
            ),
            Placement(),
        )
        # The sentiment was counted with the first decision.
        assert [(f.metric, f.amount, f.at) for f in facts] == [
            ("moderation.hide", 1, later),
            ("moderation.flag", -1, AT),
            ("moderation.revisions", 1, later),
        ]


@pytest.mark.parametrize(
    ("compound", "expected"),
    [(0.05, "positive"), (0.049, "neutral"), (-0.049, "neutral"), (-0.05, "negative")],
)
def test_sentiment_labels_use_moderation_s_thresholds(compound, expected):
    assert sentiment_label(compound) == expected
