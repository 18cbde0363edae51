"""Endpoint URL rules, the public-address transport, and sealed signing secrets."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from beacon_shared.crypto import SecretBox, SecretsUnreadable
from beacon_shared.egress import AddressNotPublic, EgressPolicy, EgressTransport
from beacon_shared.testing.egress import LOCAL_EGRESS
from beacon_shared.webhooks import Outcome, deliver, new_secret
from beacon_shared.webhooks.exceptions import InvalidEndpointUrl, UnknownEventType
from beacon_shared.webhooks.secret_store import ROTATION_OVERLAP, EndpointSecrets, seal, unseal
from beacon_shared.webhooks.transport import webhook_client
from beacon_shared.webhooks.urls import check_url
from publisher.webhooks.service import check_event_types

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class TestCheckUrl:
    def test_a_public_https_url_is_kept(self) -> None:
        url = "https://Hooks.Agency.example/beacon?token=abc"
        assert (
            check_url(url, egress=EgressPolicy()) == "https://hooks.agency.example/beacon?token=abc"
        )

    @pytest.mark.parametrize(
        ("url", "reason"),
        [
            ("http://hooks.agency.example/beacon", "scheme must be https"),
            ("ftp://hooks.agency.example/beacon", "scheme must be https"),
            ("hooks.agency.example/beacon", "scheme must be https"),
            ("https:///beacon", "no host"),
            ("https://user:pw@hooks.agency.example/", "credentials"),
            ("https://hooks.agency.example/#top", "fragment"),
            ("https://hooks.agency.example:70000/", "port"),
            ("https://hooks agency.example/", "not a valid name"),
            ("https://localhost/beacon", "local or metadata host name"),
            ("https://127.0.0.1/beacon", "loopback"),
            ("https://10.0.0.7/beacon", "private"),
            ("https://169.254.169.254/latest", "metadata"),
            ("https://[::1]/beacon", "loopback"),
            ("https://intranet/beacon", "single-label"),
            ("https://api.internal/beacon", "local or metadata host name"),
        ],
    )
    def test_unusable_urls_are_refused_with_the_reason(self, url: str, reason: str) -> None:
        with pytest.raises(InvalidEndpointUrl) as raised:
            check_url(url, egress=EgressPolicy())
        assert reason in raised.value.detail
        assert raised.value.errors[0]["pointer"] == "/url"

    def test_local_plain_http_is_accepted_only_when_allowed(self) -> None:
        url = "http://127.0.0.1:8080/hooks"
        assert check_url(url, egress=LOCAL_EGRESS) == url
        with pytest.raises(InvalidEndpointUrl):
            check_url(url, egress=EgressPolicy())


class TestEventTypes:
    def test_duplicates_are_dropped_in_order(self) -> None:
        wanted = ["post.failed", "post.published", "post.failed"]
        assert check_event_types(wanted) == ["post.failed", "post.published"]

    def test_unknown_types_are_named_with_their_position(self) -> None:
        with pytest.raises(UnknownEventType) as raised:
            check_event_types(["post.published", "post.deleted", "webhook.test"])
        assert [e["pointer"] for e in raised.value.errors] == ["/event_types/1", "/event_types/2"]
        assert "post.deleted" in raised.value.detail


def resolver_of(*addresses: str):
    async def resolve(host: str, port: int) -> Sequence[str]:
        return list(addresses)

    return resolve


class TestTheGuardedTransport:
    async def test_the_request_goes_to_the_vetted_address_under_its_name(self) -> None:
        seen: list[httpx.Request] = []

        def answer(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return httpx.Response(204)

        transport = EgressTransport(
            httpx.MockTransport(answer), EgressPolicy(), resolver=resolver_of("93.184.215.14")
        )
        async with httpx.AsyncClient(transport=transport) as client:
            response = await client.post("https://hooks.agency.example:8443/beacon", content=b"{}")

        (request,) = seen
        assert response.status_code == 204
        assert str(request.url) == "https://93.184.215.14:8443/beacon"
        assert request.headers["host"] == "hooks.agency.example:8443"
        assert request.headers["connection"] == "close"
        assert request.extensions["sni_hostname"] == "hooks.agency.example"

    @pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "169.254.169.254", "::1"])
    async def test_a_name_resolving_to_a_non_public_address_is_refused(self, address: str) -> None:
        transport = EgressTransport(
            httpx.MockTransport(lambda r: httpx.Response(200)),
            EgressPolicy(),
            resolver=resolver_of(address),
        )
        async with httpx.AsyncClient(transport=transport) as client:
            with pytest.raises(AddressNotPublic, match="not on the public internet"):
                await client.post("https://rebound.agency.example/beacon")

    async def test_a_refused_address_fails_the_delivery_for_good(self) -> None:
        transport = EgressTransport(
            httpx.MockTransport(lambda r: httpx.Response(200)),
            EgressPolicy(),
            resolver=resolver_of("10.0.0.1"),
        )
        async with httpx.AsyncClient(transport=transport) as client:
            attempt = await deliver(
                client,
                url="https://rebound.agency.example/beacon",
                secret=new_secret(),
                msg_id="msg-1",
                event_type="post.published",
                payload={},
                now=NOW,
            )
        assert attempt.outcome is Outcome.FAILED
        assert attempt.error is not None
        assert "private address" in attempt.error

    async def test_an_unresolvable_host_is_retried(self) -> None:
        async def fails(host: str, port: int) -> Sequence[str]:
            raise OSError("no such host")

        transport = EgressTransport(
            httpx.MockTransport(lambda r: httpx.Response(200)), EgressPolicy(), resolver=fails
        )
        async with httpx.AsyncClient(transport=transport) as client:
            attempt = await deliver(
                client,
                url="https://nowhere.agency.example/beacon",
                secret=new_secret(),
                msg_id="msg-1",
                event_type="post.published",
                payload={},
                now=NOW,
            )
        assert attempt.outcome is Outcome.RETRY
        assert attempt.error is not None
        assert attempt.error.startswith("ConnectError")

    async def test_the_client_keeps_no_cookies(self) -> None:
        client = webhook_client(egress=LOCAL_EGRESS)
        try:
            client.cookies.extract_cookies(
                httpx.Response(
                    200,
                    headers={"set-cookie": "session=abc; Path=/"},
                    request=httpx.Request("POST", "https://93.184.215.14/"),
                )
            )
            assert len(client.cookies) == 0
        finally:
            await client.aclose()


class TestSecretStore:
    box = SecretBox(SecretStr(Fernet.generate_key().decode()), setting="PUBLISHER_CREDENTIALS_KEY")

    def test_sealed_secrets_open_again_and_do_not_show_in_the_token(self) -> None:
        secrets = EndpointSecrets(current=new_secret())
        token = seal(self.box, secrets)
        assert secrets.current.encode() not in token
        assert unseal(self.box, token) == secrets

    def test_after_a_rotation_both_secrets_sign_until_the_overlap_ends(self) -> None:
        old = EndpointSecrets(current=new_secret())
        rotated = unseal(self.box, seal(self.box, old.rotated("whsec_new", now=NOW)))
        assert rotated.signing(NOW) == ["whsec_new", old.current]
        assert rotated.signing(NOW + ROTATION_OVERLAP - timedelta(seconds=1)) == [
            "whsec_new",
            old.current,
        ]
        assert rotated.signing(NOW + ROTATION_OVERLAP) == ["whsec_new"]

    def test_another_key_cannot_open_them(self) -> None:
        token = seal(self.box, EndpointSecrets(current=new_secret()))
        other = SecretBox(SecretStr(Fernet.generate_key().decode()), setting="X")
        with pytest.raises(SecretsUnreadable):
            unseal(other, token)
