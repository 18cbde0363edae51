"""Pre-aggregation: which rollup rows a fact adds to, and how a batch sums into them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from analytics.rollups.aggregate import aggregate, threads_of
from analytics.rollups.facts import Fact, PostRef

AT = datetime(2026, 11, 24, 23, 15, 42, tzinfo=UTC)
MINUTE = datetime(2026, 11, 24, 23, 15, tzinfo=UTC)
HOUR = datetime(2026, 11, 24, 23, tzinfo=UTC)
DAY = datetime(2026, 11, 24, tzinfo=UTC)
PARIS_DAY = datetime(2026, 11, 24, 23, tzinfo=UTC)  # the 25th in Paris


def fact(**fields: object) -> Fact:
    values: dict[str, object] = {
        "tenant_id": "t",
        "brand_id": "b",
        "at": AT,
        "metric": "comments",
    }
    values.update(fields)
    return Fact(**values)  # type: ignore[arg-type]


class TestRows:
    def test_a_bare_fact_counts_in_the_brand_total_per_minute_hour_and_day(self):
        out = aggregate([fact()], zones={}, posts={})
        assert out.rollup == {
            ("t", "b", "minute", "total", "", MINUTE, "comments"): 1,
            ("t", "b", "hour", "total", "", HOUR, "comments"): 1,
            ("t", "b", "day", "total", "", DAY, "comments"): 1,
        }
        assert out.pending == {}

    def test_each_dimension_gets_hours_and_days_and_authors_days_only(self):
        out = aggregate(
            [fact(network="facebook", account="facebook:1", author="facebook:u")],
            zones={},
            posts={},
        )
        dims = {(grain, dim, key) for (_, _, grain, dim, key, _, _) in out.rollup}
        assert dims == {
            ("minute", "total", ""),
            ("hour", "total", ""),
            ("day", "total", ""),
            ("hour", "network", "facebook"),
            ("day", "network", "facebook"),
            ("hour", "account", "facebook:1"),
            ("day", "account", "facebook:1"),
            ("day", "author", "facebook:u"),
        }

    def test_days_start_at_the_brand_s_midnight(self):
        out = aggregate([fact()], zones={("t", "b"): ZoneInfo("Europe/Paris")}, posts={})
        assert ("t", "b", "day", "total", "", PARIS_DAY, "comments") in out.rollup
        # Minutes and hours stay UTC.
        assert ("t", "b", "hour", "total", "", HOUR, "comments") in out.rollup

    def test_a_batch_sums_into_one_increment_per_row(self):
        out = aggregate(
            [fact(), fact(), fact(amount=-1), fact(metric="shares")], zones={}, posts={}
        )
        assert out.rollup[("t", "b", "day", "total", "", DAY, "comments")] == 1
        assert out.rollup[("t", "b", "day", "total", "", DAY, "shares")] == 1
        assert len(out.rollup) == 6

    def test_an_offset_instant_counts_in_its_utc_minute_and_hour(self):
        at = datetime(2026, 11, 25, 1, 15, 59, tzinfo=timezone(timedelta(hours=2)))
        out = aggregate([fact(at=at)], zones={("t", "b"): ZoneInfo("Europe/Paris")}, posts={})
        assert set(out.rollup) == {
            ("t", "b", "minute", "total", "", MINUTE, "comments"),
            ("t", "b", "hour", "total", "", HOUR, "comments"),
            ("t", "b", "day", "total", "", PARIS_DAY, "comments"),
        }

    def test_a_naive_time_is_taken_as_utc(self):
        out = aggregate([fact(at=AT.replace(tzinfo=None))], zones={}, posts={})
        assert ("t", "b", "minute", "total", "", MINUTE, "comments") in out.rollup


class TestThreads:
    def test_a_known_post_counts_toward_the_post_and_its_campaign(self):
        posts = {("t", "sandbox", "ext-1"): PostRef("post-1", "camp-1", "b")}
        out = aggregate([fact(network="sandbox", thread="ext-1")], zones={}, posts=posts)
        assert out.rollup[("t", "b", "day", "post", "post-1", DAY, "comments")] == 1
        assert out.rollup[("t", "b", "hour", "campaign", "camp-1", HOUR, "comments")] == 1
        assert out.pending == {}

    def test_an_unknown_thread_is_held_per_hour_and_day(self):
        out = aggregate([fact(network="sandbox", thread="ext-9")] * 2, zones={}, posts={})
        assert out.pending == {("t", "sandbox", "ext-9", "b", HOUR, "comments"): 2}
        assert not any(dim in ("post", "campaign") for (_, _, _, dim, *_) in out.rollup)

    def test_a_fact_naming_its_post_needs_no_lookup(self):
        facts = [fact(post="post-2", campaign="camp-2"), fact(network="x", thread="e")]
        assert threads_of(facts) == {("t", "x", "e")}
        out = aggregate(facts[:1], zones={}, posts={})
        assert out.rollup[("t", "b", "day", "campaign", "camp-2", DAY, "comments")] == 1
