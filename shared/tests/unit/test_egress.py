"""The egress guard: which URLs and addresses calls on a tenant's behalf may reach, and how much
of an answer they read."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from ipaddress import ip_network

import httpx
import pytest

from beacon_shared.egress import (
    AddressNotPublic,
    EgressPolicy,
    EgressTransport,
    ResponseTooLarge,
    SchemeRefused,
    UrlRefused,
    check_base_url,
    check_url,
    parse_networks,
)

STRICT = EgressPolicy()
PUBLIC_IP = "93.184.215.14"

# Every spelling of a non-public address the probe tried, and the usual others.
NON_PUBLIC_HOSTS = [
    "127.0.0.1",
    "127.1",  # shorthand
    "10.1",
    "169.254.43518",  # 169.254.169.254, the cloud metadata address, in shorthand
    "2130706433",  # decimal
    "0x7f000001",  # hex
    "0x7f.1",
    "0x7f.0x0.0x0.0x1",
    "127.0.0.1.",  # final dot
    "[::1]",
    "[::ffff:127.0.0.1]",  # IPv4-mapped IPv6
    "[::ffff:7f00:1]",
    "[0:0:0:0:0:ffff:a9fe:a9fe]",  # mapped metadata address
    "[64:ff9b::a00:1]",  # NAT64 of 10.0.0.1
    "[fd00:ec2::254]",
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",
    "169.254.169.254",
    "0.0.0.0",
    "localhost",
    "metadata.google.internal",
    "printer.local",
    "intranet",  # single label: resolved through the search domains
]


class TestCheckUrl:
    @pytest.mark.parametrize("host", NON_PUBLIC_HOSTS)
    def test_every_spelling_of_a_non_public_host_is_refused(self, host: str) -> None:
        with pytest.raises(UrlRefused):
            check_url(f"https://{host}/api", STRICT)

    def test_octal_spelling_is_refused(self) -> None:
        with pytest.raises(UrlRefused):
            check_url("https://0177.0.0.1/", STRICT)

    @pytest.mark.parametrize(
        "url",
        [
            "http://mastodon.example/",
            "file:///etc/passwd",
            "gopher://mastodon.example:70/",
            "ftp://mastodon.example/",
            "mastodon.example",
        ],
    )
    def test_only_https_is_accepted(self, url: str) -> None:
        with pytest.raises(UrlRefused, match="scheme must be https"):
            check_url(url, STRICT)

    def test_http_is_accepted_where_the_deployment_allows_it(self) -> None:
        policy = EgressPolicy(allow_http=True)
        assert check_url("http://mastodon.example/", policy) == "http://mastodon.example/"

    def test_an_allowed_network_lets_its_addresses_and_local_names_through(self) -> None:
        policy = EgressPolicy(allowed_networks=parse_networks("127.0.0.0/8"))
        assert check_url("https://127.0.0.1:8443/", policy) == "https://127.0.0.1:8443/"
        # Names are judged by what they resolve to, at connect time.
        assert check_url("https://localhost/", policy) == "https://localhost/"
        with pytest.raises(UrlRefused, match="private"):
            check_url("https://10.0.0.1/", policy)
        with pytest.raises(UrlRefused, match="non-canonical"):
            check_url("https://127.1/", policy)

    def test_credentials_and_fragments_are_refused(self) -> None:
        with pytest.raises(UrlRefused, match="credentials"):
            check_url("https://user:pw@mastodon.example/", STRICT)
        with pytest.raises(UrlRefused, match="fragment"):
            check_url("https://mastodon.example/#x", STRICT)

    def test_a_public_name_is_kept_normalised(self) -> None:
        assert check_url("https://Mastodon.Example:8443/x", STRICT) == (
            "https://mastodon.example:8443/x"
        )

    def test_a_base_url_is_the_root_of_its_server(self) -> None:
        assert check_base_url("https://Bsky.Example/", STRICT) == "https://bsky.example"
        with pytest.raises(UrlRefused, match="root URL"):
            check_base_url("https://bsky.example/xrpc", STRICT)


def resolver_of(*answers: Sequence[str]):
    """A resolver giving each answer in turn, recording the lookups."""
    queue = list(answers)
    lookups: list[str] = []

    async def resolve(host: str, port: int) -> Sequence[str]:
        lookups.append(host)
        return queue.pop(0) if len(queue) > 1 else queue[0]

    resolve.lookups = lookups
    return resolve


def client_over(handler, *, policy: EgressPolicy = STRICT, resolver=None) -> httpx.AsyncClient:
    transport = EgressTransport(
        httpx.MockTransport(handler), policy, resolver=resolver or resolver_of([PUBLIC_IP])
    )
    return httpx.AsyncClient(transport=transport)


class TestTransport:
    async def test_a_request_goes_to_the_checked_address_under_its_name(self) -> None:
        seen: list[httpx.Request] = []

        def answer(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return httpx.Response(200)

        async with client_over(answer) as client:
            await client.get("https://api.network.example/v1/me")

        (sent,) = seen
        assert sent.url.host == PUBLIC_IP
        assert sent.headers["host"] == "api.network.example"
        assert sent.extensions["sni_hostname"] == "api.network.example"
        assert sent.headers["connection"] == "close"

    @pytest.mark.parametrize(
        "host", [h for h in NON_PUBLIC_HOSTS if (not h.isalpha() and "." in h) or "[" in h]
    )
    async def test_a_non_public_literal_is_refused_before_any_connection(self, host: str) -> None:
        seen: list[httpx.Request] = []
        async with client_over(lambda r: seen.append(r) or httpx.Response(200)) as client:
            with pytest.raises(AddressNotPublic):
                await client.get(f"https://{host}/")
        assert seen == []

    @pytest.mark.parametrize(
        "answers",
        [["10.0.0.5"], ["127.0.0.1"], ["::ffff:169.254.169.254"], [PUBLIC_IP, "192.168.1.10"]],
    )
    async def test_a_name_with_any_non_public_address_is_refused(self, answers: list[str]) -> None:
        seen: list[httpx.Request] = []
        async with client_over(
            lambda r: seen.append(r) or httpx.Response(200), resolver=resolver_of(answers)
        ) as client:
            with pytest.raises(AddressNotPublic):
                await client.get("https://rebound.example/")
        assert seen == []

    async def test_dns_that_changes_between_the_check_and_the_connection_cannot_move_it(
        self,
    ) -> None:
        seen: list[httpx.Request] = []
        resolver = resolver_of([PUBLIC_IP], ["127.0.0.1"])
        async with client_over(
            lambda r: seen.append(r) or httpx.Response(200), resolver=resolver
        ) as client:
            await client.get("https://rebinding.example/")
            # The next request looks the name up again, and is refused on its new answer.
            with pytest.raises(AddressNotPublic):
                await client.get("https://rebinding.example/")
        assert [r.url.host for r in seen] == [PUBLIC_IP]

    @pytest.mark.parametrize("url", ["http://api.network.example/", "gopher://x.example/"])
    async def test_plain_http_is_refused_unless_allowed(self, url: str) -> None:
        async with client_over(lambda r: httpx.Response(200)) as client:
            with pytest.raises(SchemeRefused):
                await client.get(url)

    async def test_each_redirect_is_checked_again(self) -> None:
        def answer(request: httpx.Request) -> httpx.Response:
            if request.url.path == "/start":
                return httpx.Response(302, headers={"location": "https://169.254.169.254/meta"})
            return httpx.Response(200)

        async with client_over(answer) as client:
            with pytest.raises(AddressNotPublic, match="metadata"):
                await client.get("https://api.network.example/start", follow_redirects=True)

    async def test_a_relative_redirect_keeps_the_name_not_the_address(self) -> None:
        seen: list[httpx.Request] = []

        def answer(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            if request.url.path == "/start":
                return httpx.Response(302, headers={"location": "/next"})
            return httpx.Response(200)

        async with client_over(answer) as client:
            response = await client.get("https://api.network.example/start", follow_redirects=True)
        assert response.url == "https://api.network.example/next"
        assert [r.headers["host"] for r in seen] == ["api.network.example"] * 2

    async def test_a_declared_size_over_the_limit_is_refused(self) -> None:
        policy = EgressPolicy(max_response_bytes=1024)
        answer = httpx.Response(200, headers={"content-length": "5000"}, content=b"x" * 5000)
        async with client_over(lambda r: answer, policy=policy) as client:
            with pytest.raises(ResponseTooLarge, match="5000"):
                await client.get("https://api.network.example/")

    async def test_an_undeclared_size_over_the_limit_is_cut(self) -> None:
        policy = EgressPolicy(max_response_bytes=1024)

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(10):
                yield b"x" * 512

        async with client_over(
            lambda r: httpx.Response(200, content=chunks()), policy=policy
        ) as client:
            with pytest.raises(ResponseTooLarge):
                await client.get("https://api.network.example/")

    async def test_a_server_that_drips_is_cut_at_the_deadline(self) -> None:
        policy = EgressPolicy(deadline_seconds=0.2)

        async def drip() -> AsyncIterator[bytes]:
            for _ in range(100):
                await asyncio.sleep(0.05)
                yield b"x"

        async with client_over(lambda r: httpx.Response(200, content=drip()), policy=policy) as (
            client
        ):
            with pytest.raises(httpx.ReadTimeout):
                await client.get("https://api.network.example/")

    async def test_an_unresolvable_name_is_a_connection_error_to_retry(self) -> None:
        async def fails(host: str, port: int) -> Sequence[str]:
            raise OSError("no such host")

        async with client_over(lambda r: httpx.Response(200), resolver=fails) as client:
            with pytest.raises(httpx.ConnectError):
                await client.get("https://gone.example/")


def test_allowed_networks_parse_from_a_setting() -> None:
    assert parse_networks(" 127.0.0.0/8, ::1/128 ,") == (
        ip_network("127.0.0.0/8"),
        ip_network("::1/128"),
    )
    with pytest.raises(ValueError, match="does not appear"):
        parse_networks("not-a-network")
