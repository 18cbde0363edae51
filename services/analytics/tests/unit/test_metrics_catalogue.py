"""The metric catalogue: derived figures computed from stored sums."""

from __future__ import annotations

import pytest

from analytics.rollups import metrics


class TestEvaluate:
    def test_engagement_is_reactions_comments_replies_and_shares(self):
        sums = {"reactions": 5, "comments": 3, "replies": 2, "shares": 1, "mentions": 7}
        assert metrics.evaluate("engagement", sums) == 11
        assert metrics.evaluate("interactions", sums) == 18

    def test_conversations_needing_a_response_leave_out_hidden_and_deleted_ones(self):
        sums = {"comments": 4, "mentions": 1, "moderation.hide": 2, "moderation.delete": 1}
        assert metrics.evaluate("needing_response", sums) == 2
        assert metrics.evaluate("response_rate", {**sums, "first_responses": 1}) == 0.5

    def test_a_difference_never_goes_below_zero(self):
        # Hidden comments of the previous day, received before the range.
        assert metrics.evaluate("needing_response", {"moderation.hide": 3}) == 0

    def test_engagement_rate_is_per_impression_when_impressions_are_known(self):
        sums = {"reactions": 30, "impressions": 1000, "posts.published": 2}
        assert metrics.evaluate("engagement_rate", sums) == pytest.approx(0.03)
        assert metrics.ratio_basis("engagement_rate", sums) == "impressions"

    def test_engagement_rate_falls_back_to_per_published_post(self):
        sums = {"reactions": 30, "posts.published": 2}
        assert metrics.evaluate("engagement_rate", sums) == 15
        assert metrics.ratio_basis("engagement_rate", sums) == "posts.published"

    def test_a_ratio_of_nothing_is_none(self):
        assert metrics.evaluate("first_response.mean_seconds", {}) is None
        assert metrics.ratio_basis("first_response.mean_seconds", {}) is None

    def test_sentiment_shares_are_of_scored_comments(self):
        sums = {"sentiment.positive": 3, "sentiment.neutral": 1, "sentiment.negative": 0}
        assert metrics.evaluate("sentiment.positive_share", sums) == 0.75


class TestCatalogue:
    def test_stored_parts_reach_down_to_stored_metrics(self):
        assert metrics.stored_parts(["response_rate"]) == {
            "first_responses",
            "comments",
            "replies",
            "mentions",
            "direct_messages",
            "moderation.hide",
            "moderation.delete",
        }

    def test_every_stored_weight_is_a_stored_metric(self):
        for name, metric in metrics.catalogue().items():
            if metric.additive:
                assert all(metrics.catalogue()[s].stored for s in metrics.stored_weights(name))

    def test_a_metric_redefined_differently_is_refused(self):
        with pytest.raises(ValueError, match="already defined"):
            metrics.register(metrics.Metric("comments", "something else"))

    def test_a_metric_over_an_undefined_one_is_refused(self):
        with pytest.raises(ValueError, match="undefined"):
            metrics.register(metrics.Metric("x.sum", "x", terms={"nope": 1}))

    def test_another_package_can_add_a_metric(self, monkeypatch):
        # On a copy, so the metric does not outlive the test.
        monkeypatch.setattr(metrics, "_CATALOGUE", dict(metrics.catalogue()))
        added = metrics.register(metrics.Metric("test.clicks", "Clicks (test)."))
        assert metrics.get("test.clicks") is added
        assert metrics.register(added) is added  # the same definition twice is fine
