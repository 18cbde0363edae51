"""The listening API: share of voice, trends, best times; validation, isolation and auth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from analytics.brands import service as brands
from analytics.config import Settings
from analytics.listening import recording
from analytics.listening.handlers import post_metrics_observed
from analytics.listening.trends import HISTORY
from analytics.main import create_app
from beacon_shared.contracts.common import Network
from beacon_shared.contracts.ingest import PostMetricsObserved
from beacon_shared.db import create_sessionmaker
from beacon_shared.events import Envelope

pytestmark = pytest.mark.integration

PARIS = ZoneInfo("Europe/Paris")


def observation(
    tenant_id: str,
    post: str,
    *,
    published: datetime,
    likes: int,
    comments: int = 0,
    shares: int = 0,
    owner: str = "own",
    account: str = "acc-own",
    brand_id: str = "brand-a",
    competitor_id: str | None = None,
    network: Network = Network.mastodon,
    at: datetime | None = None,
    text: str = "",
) -> Envelope:
    payload = PostMetricsObserved(
        brand_id=brand_id,
        network=network,
        account_external_id=account,
        account_handle=f"@{account}",
        owner=owner,
        competitor_id=competitor_id,
        post_external_id=post,
        text=text,
        post_created_at=published,
        likes=likes,
        comments=comments,
        shares=shares,
        observed_at=at or published + timedelta(hours=6),
    )
    return Envelope.build(payload, tenant_id=tenant_id, subject=post, source="/beacon/ingest")


@pytest.fixture
def commit(engine):
    """Run `action(session)` in a committed transaction."""

    async def run(action):
        async with create_sessionmaker(engine)() as session, session.begin():
            await action(session)

    return run


@pytest.fixture
def make_client(settings_for, api_client, issue_api_key, register_brands):
    """A client of the tenant, whose brands brand-a, brand-b and brand-z are registered; its key
    is limited to `brand_ids` when given."""
    import contextlib

    @contextlib.asynccontextmanager
    async def make(
        tenant: str,
        scopes: tuple[str, ...] = ("analytics:read",),
        brand_ids: tuple[str, ...] | None = None,
    ):
        await register_brands(tenant, "brand-a", "brand-b", "brand-z")
        key = await issue_api_key(tenant, scopes=scopes, brand_ids=brand_ids)
        async with api_client(create_app(settings_for(Settings)), key=key.key) as http:
            yield http

    return make


@pytest.fixture
def tenant(unique) -> str:
    return unique("tenant")


class TestShareOfVoice:
    @pytest.fixture
    async def client(self, tenant, commit, make_client):
        day = datetime(2026, 11, 20, 10, tzinfo=UTC)
        rival = {"owner": "competitor", "account": "rival", "competitor_id": "c-1"}
        other = {"owner": "competitor", "account": "other", "competitor_id": "c-2"}
        first = [
            observation(tenant, "own-1", published=day, likes=10, comments=5, shares=5),
            observation(tenant, "own-2", published=day + timedelta(days=1), likes=10),
            observation(
                tenant, "rival-1", published=day, likes=50, network=Network.bluesky, **rival
            ),
            observation(tenant, "other-1", published=day + timedelta(days=2), likes=10, **other),
            # The previous period (17-19 November).
            observation(tenant, "own-0", published=day - timedelta(days=3), likes=5),
            observation(
                tenant,
                "rival-0",
                published=day - timedelta(days=2),
                likes=15,
                network=Network.bluesky,
                **rival,
            ),
            # Another brand, and a day after the period.
            observation(tenant, "b-1", published=day, likes=999, brand_id="brand-b"),
            observation(tenant, "own-late", published=day + timedelta(days=3), likes=999),
        ]
        later = [
            observation(
                tenant,
                "rival-1",
                published=day,
                likes=55,
                comments=5,
                network=Network.bluesky,
                at=day + timedelta(days=1),
                **rival,
            )
        ]

        async def seed(session):
            await post_metrics_observed(session, first)
            await post_metrics_observed(session, later)
            await post_metrics_observed(session, later)  # replayed

        await commit(seed)
        async with make_client(tenant) as http:
            yield http

    async def test_the_brand_s_share_against_each_competitor(self, client):
        response = await client.get(
            "/v1/listening/share-of-voice",
            params={"brand_id": "brand-a", "from": "2026-11-20", "to": "2026-11-22"},
        )

        assert response.status_code == 200
        body = response.json()
        assert body["from"] == "2026-11-20"
        assert body["timezone"] == "UTC"
        assert (body["total_engagement"], body["total_posts"]) == (100, 4)
        brand = body["brand"]
        assert (brand["engagement"], brand["posts"], brand["likes"]) == (30, 2, 20)
        assert brand["share"] == pytest.approx(0.3)
        assert brand["post_share"] == pytest.approx(0.5)
        assert [a["account_external_id"] for a in brand["accounts"]] == ["acc-own"]
        assert [
            (c["competitor_id"], c["network"], c["handle"], c["engagement"], c["share"])
            for c in body["competitors"]
        ] == [
            ("c-1", "bluesky", "@rival", 60, pytest.approx(0.6)),
            ("c-2", "mastodon", "@other", 10, pytest.approx(0.1)),
        ]
        assert body["previous"] == {
            "from": "2026-11-17",
            "to": "2026-11-19",
            "share": pytest.approx(0.25),
            "post_share": pytest.approx(0.5),
        }

    async def test_a_period_without_posts_has_no_share(self, client):
        body = (
            await client.get(
                "/v1/listening/share-of-voice",
                params={"brand_id": "brand-a", "from": "2025-01-01", "to": "2025-01-31"},
            )
        ).json()
        assert body["total_engagement"] == 0
        assert body["brand"]["share"] is None
        assert body["competitors"] == []

    @pytest.mark.parametrize(
        ("params", "code", "pointer", "error_type"),
        [
            (
                {"brand_id": "brand-a", "from": "2026-11-22", "to": "2026-11-20"},
                "invalid_period",
                "/query/to",
                "period_empty",
            ),
            (
                {"brand_id": "brand-a", "from": "2025-01-01", "to": "2026-11-20"},
                "invalid_period",
                "/query/to",
                "period_too_long",
            ),
            (
                {"from": "2026-11-20", "to": "2026-11-22"},
                "validation_failed",
                "/query/brand_id",
                "missing",
            ),
            (
                {"brand_id": "brand-a", "from": "yesterday", "to": "2026-11-22"},
                "validation_failed",
                "/query/from",
                "date_from_datetime_parsing",
            ),
        ],
    )
    async def test_invalid_periods_are_422(self, client, params, code, pointer, error_type):
        response = await client.get("/v1/listening/share-of-voice", params=params)
        assert response.status_code == 422
        body = response.json()
        assert body["code"] == code
        assert [(e["pointer"], e["type"]) for e in body["errors"]] == [(pointer, error_type)]

    async def test_other_tenants_see_nothing(self, client, make_client, unique):
        async with make_client(unique("other")) as other:
            body = (
                await other.get(
                    "/v1/listening/share-of-voice",
                    params={"brand_id": "brand-a", "from": "2026-11-20", "to": "2026-11-22"},
                )
            ).json()
        assert body["total_engagement"] == 0

    async def test_an_unregistered_brand_is_refused(self, tenant, make_client):
        async with make_client(tenant) as http:
            response = await http.get(
                "/v1/listening/share-of-voice",
                params={"brand_id": "brand-q", "from": "2026-11-20", "to": "2026-11-22"},
            )
        assert response.status_code == 422
        assert response.json()["code"] == "unknown_brand"

    async def test_a_key_limited_to_other_brands_is_refused(self, client, tenant, make_client):
        async with make_client(tenant, brand_ids=("brand-b",)) as http:
            refused = await http.get(
                "/v1/listening/share-of-voice",
                params={"brand_id": "brand-a", "from": "2026-11-20", "to": "2026-11-22"},
            )
            allowed = await http.get(
                "/v1/listening/share-of-voice",
                params={"brand_id": "brand-b", "from": "2026-11-20", "to": "2026-11-22"},
            )
        assert refused.status_code == 403
        assert refused.json()["code"] == "brand_not_allowed"
        assert allowed.status_code == 200
        assert allowed.json()["brand"]["engagement"] == 999


class TestTrends:
    # Recent, as trends serve periods of the last 90 days only.
    START = (datetime.now(UTC) - timedelta(days=2)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )

    @pytest.fixture
    async def client(self, tenant, commit, make_client):
        comments = []

        def say(text: str, at: datetime, times: int = 1) -> None:
            comments.extend(
                recording.Comment(tenant, "brand-a", text, at, at + timedelta(seconds=1))
                for _ in range(times)
            )

        hour = self.START - timedelta(days=8)
        while hour < self.START + timedelta(hours=12):
            say("Coffee time", hour, times=2)  # steady: 2 an hour for 8 days
            hour += timedelta(hours=1)
        say("App outage again", self.START + timedelta(hours=10, minutes=5), times=12)
        say("#Refund please", self.START + timedelta(hours=11), times=3)
        say("outage for the other brand", self.START + timedelta(hours=10), times=30)
        comments[-30:] = [
            recording.Comment(tenant, "brand-b", c.text, c.created_at, c.received_at)
            for c in comments[-30:]
        ]

        async def seed(session):
            await recording.record_comment_terms(session, comments)
            await post_metrics_observed(
                session,
                [
                    observation(
                        tenant,
                        "rival-1",
                        published=self.START + timedelta(hours=9),
                        likes=1,
                        owner="competitor",
                        account="rival",
                        text="Our #BlackFriday deals",
                    )
                ],
            )

        await commit(seed)
        async with make_client(tenant) as http:
            yield http

    def params(self, **overrides):
        return {
            "brand_id": "brand-a",
            "from": self.START.isoformat(),
            "to": (self.START + timedelta(hours=12)).isoformat(),
            **overrides,
        }

    async def test_top_terms_and_the_spiking_one(self, client):
        response = await client.get("/v1/listening/trends", params=self.params())

        assert response.status_code == 200
        body = response.json()
        top = {t["term"]: (t["kind"], t["count"], t["previous_count"]) for t in body["top"]}
        assert top["coffee"] == ("keyword", 24, 24)
        assert top["time"] == ("keyword", 24, 24)
        assert top["outage"] == ("keyword", 12, 0)
        assert top["#refund"] == ("hashtag", 3, 0)
        assert top["#blackfriday"] == ("hashtag", 1, 0)
        assert [t["term"] for t in body["top"][:2]] == ["coffee", "time"]
        spiking = {s["term"]: s for s in body["spiking"]}
        assert set(spiking) == {"outage", "app"}
        outage_hour = self.START + timedelta(hours=10)
        assert spiking["outage"]["hour"] == outage_hour.isoformat().replace("+00:00", "Z")
        assert spiking["outage"]["count"] == 12
        assert spiking["outage"]["baseline"] == 0
        assert spiking["outage"]["z"] == pytest.approx(12)
        assert "EWMA" in body["method"] or "exponentially weighted" in body["method"]

    async def test_sources_filter_the_texts(self, client):
        body = (
            await client.get("/v1/listening/trends", params=self.params(source="competitor_post"))
        ).json()
        assert [t["term"] for t in body["top"]] == ["#blackfriday", "deals"]
        assert body["spiking"] == []
        assert body["sources"] == ["competitor_post"]

    async def test_limit_caps_the_lists(self, client):
        body = (await client.get("/v1/listening/trends", params=self.params(limit=1))).json()
        assert len(body["top"]) == 1
        assert len(body["spiking"]) == 1

    @pytest.mark.parametrize(
        ("overrides", "code", "error_type"),
        [
            ({"to": "2026-11-23T00:00:00+00:00"}, "invalid_period", "period_empty"),
            ({"from": "2026-10-01T00:00:00+00:00"}, "invalid_period", "period_too_long"),
            ({"from": "2026-11-24T00:00:00"}, "validation_failed", "timezone_aware"),
            ({"source": "tweets"}, "validation_failed", "enum"),
        ],
    )
    async def test_invalid_queries_are_422(self, client, overrides, code, error_type):
        response = await client.get("/v1/listening/trends", params=self.params(**overrides))
        assert response.status_code == 422
        body = response.json()
        assert (body["code"], [e["type"] for e in body["errors"]]) == (code, [error_type])

    async def test_a_period_older_than_the_kept_counts_is_422_at_its_start(self, client):
        start = datetime.now(UTC) - HISTORY - timedelta(days=1)
        response = await client.get(
            "/v1/listening/trends",
            params=self.params(
                **{"from": start.isoformat(), "to": (start + timedelta(days=2)).isoformat()}
            ),
        )
        assert response.status_code == 422
        body = response.json()
        assert body["code"] == "invalid_period"
        assert [(e["pointer"], e["type"]) for e in body["errors"]] == [
            ("/query/from", "period_too_old")
        ]


class TestBestTimes:
    @pytest.fixture
    def now(self):
        return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)

    @pytest.fixture
    async def seeded(self, tenant, commit, now):
        """Posts of mastodon:acc-bt in three slots, the brand in Paris' time."""
        # Wall-clock weeks in Paris, so a daylight-saving change keeps each slot whole.
        paris = now.astimezone(PARIS)
        steady = [(paris - timedelta(days=7 * k + 3)).astimezone(UTC) for k in range(4)]
        lucky = now - timedelta(days=4, hours=5)
        quiet = [(paris - timedelta(days=7 * k + 5, hours=2)).astimezone(UTC) for k in range(3)]
        posts = [
            *(("s", at, 40) for at in steady),
            ("l", lucky, 60),
            *(("q", at, 10) for at in quiet),
        ]
        events = [
            observation(tenant, f"{kind}-{n}", published=at, likes=e, account="acc-bt")
            for n, (kind, at, e) in enumerate(posts)
        ]
        events += [
            # Too young, a competitor post on the same key, and old news.
            observation(
                tenant, "young", published=now - timedelta(hours=3), likes=500, account="acc-bt"
            ),
            observation(
                tenant,
                "rival",
                published=steady[0],
                likes=500,
                account="acc-bt",
                owner="competitor",
            ),
            observation(
                tenant, "old", published=now - timedelta(days=120), likes=500, account="acc-bt"
            ),
        ]

        async def seed(session):
            await brands.configure(session, [(tenant, "brand-a", "Europe/Paris", now)])
            await post_metrics_observed(session, events)

        await commit(seed)
        return {"steady": steady, "lucky": lucky, "quiet": quiet}

    @staticmethod
    def slot(at: datetime) -> tuple[int, int]:
        local = at.astimezone(PARIS)
        return local.isoweekday(), local.hour

    async def test_slots_in_the_brand_s_zone_with_scores_and_sample_sizes(
        self, tenant, seeded, make_client
    ):
        async with make_client(tenant) as http:
            response = await http.get("/v1/accounts/mastodon:acc-bt/best-times")

        assert response.status_code == 200
        body = response.json()
        assert body["account"] == "mastodon:acc-bt"
        assert (body["brand_id"], body["timezone"]) == ("brand-a", "Europe/Paris")
        assert body["posts"] == 8
        mean = (4 * 40 + 60 + 3 * 10) / 8
        assert body["mean_engagement"] == pytest.approx(mean)
        assert body["confidence"] == "low"
        assert "Only 8 posts" in body["note"]
        slots = {(s["weekday"], s["hour"]): s for s in body["slots"]}
        steady = slots[self.slot(seeded["steady"][0])]
        assert (steady["posts"], steady["mean_engagement"], steady["few_posts"]) == (4, 40, False)
        assert steady["score"] == pytest.approx((160 + 3 * mean) / 7, abs=1e-3)
        lucky = slots[self.slot(seeded["lucky"])]
        assert (lucky["posts"], lucky["few_posts"]) == (1, True)
        assert lucky["score"] == pytest.approx((60 + 3 * mean) / 4, abs=1e-3)
        assert slots[self.slot(seeded["quiet"][0])]["median_engagement"] == 10
        assert [(s["weekday"], s["hour"]) for s in body["best"]] == [
            self.slot(seeded["lucky"]),
            self.slot(seeded["steady"][0]),
            self.slot(seeded["quiet"][0]),
        ]
        assert (
            body["best"][1]["weekday_name"]
            == ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"][
                self.slot(seeded["steady"][0])[0] - 1
            ]
        )

    async def test_another_brand_s_account_is_answered_as_unknown(
        self, tenant, seeded, make_client
    ):
        async with make_client(tenant, brand_ids=("brand-b",)) as http:
            body = (await http.get("/v1/accounts/mastodon:acc-bt/best-times")).json()
            named = await http.get(
                "/v1/accounts/mastodon:acc-bt/best-times", params={"brand_id": "brand-a"}
            )
        assert (body["brand_id"], body["posts"], body["slots"]) == (None, 0, [])
        assert named.status_code == 403

    async def test_an_account_without_posts_says_so(self, tenant, make_client):
        async with make_client(tenant) as http:
            body = (await http.get("/v1/accounts/bluesky:did:plc:nobody/best-times")).json()
        assert body["account"] == "bluesky:did:plc:nobody"
        assert (body["posts"], body["confidence"], body["best"]) == (0, "none", [])

    async def test_a_brand_without_a_zone_gets_utc_and_is_told(
        self, tenant, commit, make_client, now
    ):
        at = now - timedelta(days=3)

        async def seed(session):
            await post_metrics_observed(
                session,
                [
                    observation(
                        tenant, f"p{n}", published=at, likes=n, brand_id="brand-z", account="z"
                    )
                    for n in range(3)
                ],
            )

        await commit(seed)
        async with make_client(tenant) as http:
            body = (await http.get("/v1/accounts/mastodon:z/best-times")).json()
        assert body["timezone"] == "UTC"
        assert "no time zone" in body["note"]
        assert [(s["weekday"], s["hour"]) for s in body["slots"]] == [(at.isoweekday(), at.hour)]

    @pytest.mark.parametrize("key", ["acc-bt", "myspace:acc", "mastodon:"])
    async def test_a_malformed_account_key_is_422(self, tenant, make_client, key):
        async with make_client(tenant) as http:
            response = await http.get(f"/v1/accounts/{key}/best-times")
        assert response.status_code == 422


async def test_listening_needs_analytics_read(tenant, make_client):
    async with make_client(tenant, scopes=("interactions:read",)) as http:
        for url, params in [
            (
                "/v1/listening/share-of-voice",
                {"brand_id": "b", "from": "2026-11-01", "to": "2026-11-02"},
            ),
            (
                "/v1/listening/trends",
                {"brand_id": "b", "from": "2026-11-01T00:00:00Z", "to": "2026-11-02T00:00:00Z"},
            ),
            ("/v1/accounts/mastodon:1/best-times", {}),
        ]:
            assert (await http.get(url, params=params)).status_code == 403
