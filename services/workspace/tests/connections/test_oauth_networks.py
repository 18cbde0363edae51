"""X, LinkedIn, Mastodon and Bluesky: what each login grants is stored, sealed, with what its
network said about expiry and scopes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from services.workspace.tests.connections.conftest import CREDENTIALS_KEY, opened, outcome

pytestmark = pytest.mark.integration


class TestX:
    async def test_pkce_login_stores_the_user_with_both_tokens_and_their_expiry(
        self, harness, networks, capsys
    ):
        async with harness() as h:
            started = await h.start("x")
            url = started.json()["authorization_url"]
            back = await h.callback(await h.authorize(url))
            rows = await h.accounts()

        query = parse_qs(urlsplit(url).query)
        assert url.startswith(f"{networks.x.url}/i/oauth2/authorize?")
        assert query["code_challenge_method"] == ["S256"]
        assert len(query["code_challenge"][0]) == 43
        assert outcome(back)["connection"] == "connected"
        [row] = rows
        assert (row.kind, row.network, row.external_id, row.handle) == (
            "x_user",
            "x",
            "2244994945",
            "brand",
        )
        credentials = opened(row.credentials, CREDENTIALS_KEY)
        assert credentials["access_token"] in networks.x.tokens
        assert credentials["refresh_token"] in networks.x.refresh_tokens
        assert "offline.access" in row.scopes
        expected = datetime.now(UTC) + timedelta(hours=2)
        assert abs(row.access_expires_at - expected) < timedelta(minutes=1)
        printed = capsys.readouterr()
        assert credentials["access_token"] not in printed.out + printed.err
        assert credentials["refresh_token"] not in printed.out + printed.err

    async def test_an_answer_without_a_refresh_token_stores_nothing(self, harness, networks):
        networks.x.omit_refresh = True
        async with harness() as h:
            back = await h.connect("x")
            rows = await h.accounts()
            events = await h.events()
            audit = await h.audit()

        assert outcome(back) | {"tab": "-"} == {
            "connection": "failed",
            "network": "x",
            "error": "no_refresh_token",
            "tab": "-",
        }
        assert rows == []
        assert events == []
        assert [a for a, _ in audit] == ["connection.started", "connection.failed"]

    async def test_connecting_again_replaces_the_tokens_of_the_same_account(
        self, harness, networks
    ):
        async with harness() as h:
            await h.connect("x")
            [first] = await h.accounts()
            again = await h.connect("x")
            [second] = await h.accounts()
            events = await h.events()

        assert outcome(again)["accounts"] == str(first.id)
        assert second.id == first.id
        assert second.version == first.version + 1
        assert second.credentials != first.credentials
        assert [e["data"]["reconnected"] for e in events] == [False, True]
        assert [e["data"]["account"]["version"] for e in events] == [1, 2]


class TestLinkedIn:
    async def test_a_login_connects_the_member_and_the_organizations_they_administer(
        self, harness, networks
    ):
        async with harness() as h:
            back = await h.connect("linkedin")
            rows = await h.accounts()

        assert outcome(back)["connection"] == "connected"
        assert [(r.kind, r.external_id, r.display_name, r.handle) for r in rows] == [
            ("linkedin_member", "782bbtaQ", "Ada Lovelace", "ada@brand.example"),
            ("linkedin_organization", "2414183", "Brand Inc.", "brand-inc"),
        ]
        member, organization = rows
        assert opened(member.credentials, CREDENTIALS_KEY) == opened(
            organization.credentials, CREDENTIALS_KEY
        )
        assert "r_organization_admin" in member.scopes  # LinkedIn lists them comma-separated
        assert member.refresh_expires_at - member.access_expires_at > timedelta(days=300)

    async def test_a_token_endpoint_error_is_the_outcome_and_nothing_is_stored(
        self, harness, networks
    ):
        networks.linkedin.token_error = "invalid_request"
        async with harness() as h:
            back = await h.connect("linkedin")
            rows = await h.accounts()

        assert outcome(back)["error"] == "invalid_request"
        assert rows == []


class TestMastodon:
    async def test_beacon_registers_once_per_instance_then_connects_with_pkce(
        self, harness, networks
    ):
        instance = networks.mastodon.url
        before = networks.mastodon.registrations
        async with harness() as h:
            started = await h.start("mastodon", instance=instance)
            url = started.json()["authorization_url"]
            back = await h.callback(await h.authorize(url))
            again = await h.start("mastodon", brand="brand-2", instance=instance + "/")
            rows = await h.accounts()

        assert url.startswith(f"{instance}/oauth/authorize?")
        assert parse_qs(urlsplit(url).query)["code_challenge_method"] == ["S256"]
        assert again.status_code == 201
        assert networks.mastodon.registrations - before <= 1  # cached for the instance
        assert outcome(back)["connection"] == "connected"
        [row] = rows
        assert (row.kind, row.external_id, row.handle, row.instance_url) == (
            "mastodon",
            "14715",
            "brand",
            instance,
        )
        credentials = opened(row.credentials, CREDENTIALS_KEY)
        assert credentials["base_url"] == instance
        assert credentials["access_token"] in networks.mastodon.tokens

    async def test_an_instance_without_pkce_is_connected_without_it(self, harness, networks):
        networks.mastodon.pkce = False
        # Another spelling of the same server: a new instance for Beacon, registered afresh.
        instance = networks.mastodon.url.replace("127.0.0.1", "localhost")
        async with harness() as h:
            started = await h.start("mastodon", instance=instance)
            url = started.json()["authorization_url"]
            back = await h.callback(await h.authorize(url))

        assert "code_challenge" not in parse_qs(urlsplit(url).query)
        assert outcome(back)["connection"] == "connected"

    async def test_an_instance_on_a_private_address_is_refused(self, harness):
        async with harness(egress_allowed_networks="") as h:
            refused = await h.start("mastodon", instance="http://10.0.0.7")
            missing = await h.start("mastodon")

        assert refused.status_code == 422
        assert refused.json()["code"] == "server_url_refused"
        assert refused.json()["errors"][0]["pointer"] == "/instance"
        assert missing.status_code == 422


class TestBluesky:
    async def test_an_app_password_connects_the_account_by_its_did(self, harness, networks):
        async with harness() as h:
            answer = await h.http.post(
                "/v1/brands/brand-1/connections/bluesky",
                json={"handle": "brand.bsky.social", "app_password": "abcd-efgh-ijkl-mnop"},
            )
            rows = await h.accounts()
            events = await h.events()

        assert answer.status_code == 201, answer.text
        assert "abcd-efgh" not in answer.text
        [row] = rows
        assert answer.json()["accounts"][0]["id"] == str(row.id)
        assert (row.kind, row.external_id, row.handle, row.instance_url) == (
            "bluesky",
            "did:plc:z72i7hdynmk6r22z27h6tvur",
            "brand.bsky.social",
            networks.bluesky.url,
        )
        credentials = opened(row.credentials, CREDENTIALS_KEY)
        assert credentials["identifier"] == "brand.bsky.social"
        assert credentials["app_password"] == "abcd-efgh-ijkl-mnop"
        assert credentials["service"] == networks.bluesky.url
        assert [e["type"] for e in events] == ["workspace.account.connected"]

    async def test_a_wrong_app_password_is_a_422_and_stores_nothing(self, harness):
        async with harness() as h:
            answer = await h.http.post(
                "/v1/brands/brand-1/connections/bluesky",
                json={"handle": "brand.bsky.social", "app_password": "wrong-pass-word-0000"},
            )
            rows = await h.accounts()

        assert answer.status_code == 422
        assert answer.json()["code"] == "network_refused"
        assert "wrong-pass" not in answer.text
        assert rows == []
