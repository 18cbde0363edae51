"""Media is fetched only from public addresses, within size, type, redirect and time limits."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import httpx
import pytest

from beacon_shared.egress import EgressPolicy, EgressTransport, Resolver
from beacon_shared.egress.addresses import non_public_reason, parse_literal
from publisher.media import (
    DEFAULT_MEDIA_TYPES,
    BadMediaUrl,
    BadScheme,
    FetchedMedia,
    MediaHttpError,
    MediaNotFound,
    MediaRefused,
    MediaTimeout,
    MediaTooLarge,
    MediaUnreachable,
    NotPublicAddress,
    TooManyRedirects,
    UnresolvableHost,
    UnsupportedMediaType,
    fetch_media,
)

PUBLIC_IP = "93.184.216.34"
OTHER_PUBLIC_IP = "2606:2800:220:1:248:1893:25c8:1946"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
LIMIT = 1024

Handler = Callable[[httpx.Request], Awaitable[httpx.Response]]


class FakeDns:
    """A resolver with fixed answers that records every lookup."""

    def __init__(self, answers: dict[str, Sequence[str]]) -> None:
        self.answers = answers
        self.lookups: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        self.lookups.append((host, port))
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.answers[host]


class FakeInternet:
    """Servers keyed by (Host header, path); records the requests that reached the wire."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Handler] = {}
        self.requests: list[httpx.Request] = []

    def serve(self, host: str, path: str, handler: Handler) -> None:
        self.routes[(host, path)] = handler

    def serve_response(self, host: str, path: str, response: Callable[[], httpx.Response]) -> None:
        async def handler(_: httpx.Request) -> httpx.Response:
            return response()

        self.serve(host, path, handler)

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        handler = self.routes.get((request.headers["host"], request.url.path))
        if handler is None:
            return httpx.Response(404)
        return await handler(request)


def image(content: bytes = PNG, content_type: str = "image/png") -> httpx.Response:
    return httpx.Response(200, headers={"content-type": content_type}, content=content)


def redirect(location: str, status: int = 302) -> Callable[[], httpx.Response]:
    return lambda: httpx.Response(status, headers={"location": location})


@pytest.fixture
def internet() -> FakeInternet:
    return FakeInternet()


@pytest.fixture
def dns() -> FakeDns:
    return FakeDns(
        {
            "cdn.example.com": [PUBLIC_IP],
            "other.example.net": [OTHER_PUBLIC_IP],
            "intranet.example.com": ["10.0.0.5"],
            "loopback.example.com": ["127.0.0.1"],
            "metadata.example.com": ["169.254.169.254"],
            "ula.example.com": ["fd00:ec2::254"],
            "mapped.example.com": ["::ffff:127.0.0.1"],
            "mixed.example.com": [PUBLIC_IP, "192.168.1.10"],
            "shared.example.com": ["100.64.0.1"],
        }
    )


def guarded(internet: FakeInternet, resolver: Resolver) -> httpx.AsyncClient:
    """The egress guard's transport over the fake internet; media may be plain http here."""
    guard = EgressTransport(
        httpx.MockTransport(internet), EgressPolicy(allow_http=True), resolver=resolver
    )
    return httpx.AsyncClient(transport=guard)


@pytest.fixture
async def client(internet: FakeInternet, dns: FakeDns) -> AsyncIterator[httpx.AsyncClient]:
    async with guarded(internet, dns) as c:
        yield c


async def fetch(
    url: str, client: httpx.AsyncClient, dns: FakeDns, *, total_timeout: float = 30.0
) -> FetchedMedia:
    return await fetch_media(
        url,
        client=client,
        max_bytes=LIMIT,
        allowed_types=DEFAULT_MEDIA_TYPES,
        total_timeout=total_timeout,
    )


class TestNonPublicReason:
    @pytest.mark.parametrize(
        "address",
        [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.0.1",
            "169.254.169.254",
            "169.254.1.1",
            "100.64.0.1",
            "100.100.100.200",
            "0.0.0.0",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "198.18.0.1",
            "::1",
            "::",
            "fe80::1",
            "fe80::1%eth0",
            "fc00::1",
            "fd00:ec2::254",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "2002:7f00:1::1",
            "64:ff9b::10.0.0.1",
            "64:ff9b:1::1",
        ],
    )
    def test_non_public_addresses_are_refused(self, address: str) -> None:
        literal = parse_literal(address)
        assert literal is not None
        assert non_public_reason(literal) is not None

    @pytest.mark.parametrize(
        "address",
        [PUBLIC_IP, "1.1.1.1", OTHER_PUBLIC_IP, "::ffff:93.184.216.34", "2002:5db8:d822::1"],
    )
    def test_public_addresses_are_accepted(self, address: str) -> None:
        literal = parse_literal(address)
        assert literal is not None
        assert non_public_reason(literal) is None


class TestFetchMedia:
    async def test_public_media_is_fetched_from_the_vetted_address(
        self, internet: FakeInternet, dns: FakeDns, client: httpx.AsyncClient
    ) -> None:
        internet.serve_response("cdn.example.com", "/a.png", image)

        media = await fetch_media(
            "https://cdn.example.com/a.png",
            client=client,
            max_bytes=LIMIT,
            allowed_types=DEFAULT_MEDIA_TYPES,
        )

        assert (media.content, media.content_type) == (PNG, "image/png")
        assert media.url == "https://cdn.example.com/a.png"
        [sent] = internet.requests
        assert sent.url.host == PUBLIC_IP
        assert sent.headers["host"] == "cdn.example.com"
        assert sent.extensions["sni_hostname"] == "cdn.example.com"
        assert dns.lookups == [("cdn.example.com", 443)]

    async def test_a_second_dns_answer_cannot_move_the_connection(
        self, internet: FakeInternet
    ) -> None:
        answers = iter([[PUBLIC_IP], ["127.0.0.1"]])

        async def rebinding(host: str, port: int) -> Sequence[str]:
            return next(answers)

        internet.serve_response("cdn.example.com", "/a.png", image)

        async with guarded(internet, rebinding) as client:
            await fetch_media(
                "http://cdn.example.com/a.png",
                client=client,
                max_bytes=LIMIT,
                allowed_types=DEFAULT_MEDIA_TYPES,
            )

        assert [r.url.host for r in internet.requests] == [PUBLIC_IP]

    async def test_ipv6_hosts_and_ports_are_kept_in_the_host_header(
        self, internet: FakeInternet, dns: FakeDns, client: httpx.AsyncClient
    ) -> None:
        internet.serve_response("other.example.net:8443", "/a.png", image)

        await fetch("https://other.example.net:8443/a.png", client, dns)

        [sent] = internet.requests
        assert sent.url.host == OTHER_PUBLIC_IP
        assert sent.url.port == 8443

    @pytest.mark.parametrize(
        "url",
        [
            "http://127.0.0.1/a.png",
            "http://10.0.0.1/a.png",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/a.png",
            "http://[fd00:ec2::254]/latest/meta-data/",
            "http://[fe80::1]/a.png",
            "http://[::ffff:127.0.0.1]/a.png",
            "http://[::ffff:169.254.169.254]/a.png",
            "http://100.64.0.1/a.png",
            "http://0.0.0.0/a.png",
        ],
    )
    async def test_literal_non_public_addresses_are_refused(
        self, url: str, internet: FakeInternet, dns: FakeDns, client: httpx.AsyncClient
    ) -> None:
        with pytest.raises(NotPublicAddress) as refused:
            await fetch(url, client, dns)

        assert refused.value.code == "not_public_address"
        assert internet.requests == []

    @pytest.mark.parametrize(
        "host",
        [
            "intranet.example.com",
            "loopback.example.com",
            "metadata.example.com",
            "ula.example.com",
            "mapped.example.com",
            "shared.example.com",
        ],
    )
    async def test_hosts_resolving_to_non_public_addresses_are_refused(
        self, host: str, internet: FakeInternet, dns: FakeDns, client: httpx.AsyncClient
    ) -> None:
        with pytest.raises(NotPublicAddress):
            await fetch(f"https://{host}/a.png", client, dns)

        assert internet.requests == []

    async def test_a_host_with_one_public_and_one_private_address_is_refused(
        self, internet: FakeInternet, dns: FakeDns, client: httpx.AsyncClient
    ) -> None:
        with pytest.raises(NotPublicAddress) as refused:
            await fetch("https://mixed.example.com/a.png", client, dns)

        assert refused.value.address == "192.168.1.10"
        assert "192.168.1.10" not in refused.value.detail
        assert internet.requests == []

    @pytest.mark.parametrize(
        "host",
        [
            "localhost",
            "LOCALHOST.",
            "api.localhost",
            "metadata.google.internal",
            "metadata",
            "printer.local",
            "intranet",
            "127.1",
        ],
    )
    async def test_local_and_metadata_names_are_refused_without_a_lookup(
        self, host: str, dns: FakeDns, client: httpx.AsyncClient
    ) -> None:
        with pytest.raises(NotPublicAddress):
            await fetch(f"http://{host}/a.png", client, dns)

        assert dns.lookups == []

    @pytest.mark.parametrize(
        "url",
        [
            "file:///etc/passwd",
            "ftp://cdn.example.com/a.png",
            "gopher://cdn.example.com/",
            "data:image/png;base64,iVBORw0KGgo=",
            "cdn.example.com/a.png",
        ],
    )
    async def test_non_http_schemes_are_refused(
        self, url: str, internet: FakeInternet, dns: FakeDns, client: httpx.AsyncClient
    ) -> None:
        with pytest.raises(BadScheme) as refused:
            await fetch(url, client, dns)

        assert refused.value.code == "bad_scheme"
        assert internet.requests == []

    async def test_credentials_in_the_url_are_refused(
        self, dns: FakeDns, client: httpx.AsyncClient
    ) -> None:
        with pytest.raises(BadMediaUrl):
            await fetch("https://user:secret@cdn.example.com/a.png", client, dns)

    async def test_a_host_that_does_not_resolve_is_refused(
        self, dns: FakeDns, client: httpx.AsyncClient
    ) -> None:
        with pytest.raises(UnresolvableHost) as refused:
            await fetch("https://nowhere.example.org/a.png", client, dns)

        assert refused.value.code == "unresolvable_host"

    async def test_redirects_are_followed_and_each_hop_is_checked(
        self, internet: FakeInternet, dns: FakeDns, client: httpx.AsyncClient
    ) -> None:
        internet.serve_response("cdn.example.com", "/a.png", redirect("/b.png", 301))
        internet.serve_response(
            "cdn.example.com", "/b.png", redirect("https://other.example.net/c")
        )
        internet.serve_response("other.example.net", "/c", image)

        media = await fetch_media(
            "https://cdn.example.com/a.png",
            client=client,
            max_bytes=LIMIT,
            allowed_types=DEFAULT_MEDIA_TYPES,
        )

        assert media.url == "https://other.example.net/c"
        assert [r.url.host for r in internet.requests] == [PUBLIC_IP, PUBLIC_IP, OTHER_PUBLIC_IP]
        assert [host for host, _ in dns.lookups] == [
            "cdn.example.com",
            "cdn.example.com",
            "other.example.net",
        ]

    @pytest.mark.parametrize(
        "location",
        [
            "http://169.254.169.254/latest/meta-data/",
            "http://[::ffff:10.0.0.1]/",
            "https://intranet.example.com/a.png",
            "http://localhost:8080/admin",
        ],
    )
    async def test_a_redirect_to_a_non_public_address_is_refused(
        self, location: str, internet: FakeInternet, dns: FakeDns, client: httpx.AsyncClient
    ) -> None:
        internet.serve_response("cdn.example.com", "/a.png", redirect(location))

        with pytest.raises(NotPublicAddress):
            await fetch("https://cdn.example.com/a.png", client, dns)

        assert len(internet.requests) == 1

    async def test_a_redirect_to_another_scheme_is_refused(
        self, internet: FakeInternet, dns: FakeDns, client: httpx.AsyncClient
    ) -> None:
        internet.serve_response("cdn.example.com", "/a.png", redirect("file:///etc/passwd"))

        with pytest.raises(BadScheme):
            await fetch("https://cdn.example.com/a.png", client, dns)

    async def test_a_malformed_redirect_is_refused(
        self, internet: FakeInternet, dns: FakeDns, client: httpx.AsyncClient
    ) -> None:
        internet.serve_response("cdn.example.com", "/a.png", redirect("http://[::1"))

        with pytest.raises(MediaRefused) as refused:
            await fetch("https://cdn.example.com/a.png", client, dns)

        assert "location header" in refused.value.detail
        assert len(internet.requests) == 1

    async def test_five_redirects_are_followed(
        self, internet: FakeInternet, dns: FakeDns, client: httpx.AsyncClient
    ) -> None:
        for hop in range(5):
            internet.serve_response("cdn.example.com", f"/{hop}", redirect(f"/{hop + 1}"))
        internet.serve_response("cdn.example.com", "/5", image)

        media = await fetch_media(
            "https://cdn.example.com/0",
            client=client,
            max_bytes=LIMIT,
            allowed_types=DEFAULT_MEDIA_TYPES,
        )

        assert media.url == "https://cdn.example.com/5"

    async def test_a_sixth_redirect_is_refused(
        self, internet: FakeInternet, dns: FakeDns, client: httpx.AsyncClient
    ) -> None:
        internet.serve_response("cdn.example.com", "/loop", redirect("/loop"))

        with pytest.raises(TooManyRedirects) as refused:
            await fetch("https://cdn.example.com/loop", client, dns)

        assert refused.value.code == "too_many_redirects"
        assert len(internet.requests) == 6

    async def test_a_content_length_over_the_limit_is_refused_before_reading(
        self, internet: FakeInternet, dns: FakeDns, client: httpx.AsyncClient
    ) -> None:
        sent: list[bytes] = []

        async def body() -> AsyncIterator[bytes]:
            sent.append(PNG)
            yield PNG

        internet.serve_response(
            "cdn.example.com",
            "/big.png",
            lambda: httpx.Response(
                200,
                headers={"content-type": "image/png", "content-length": str(LIMIT + 1)},
                content=body(),
            ),
        )

        with pytest.raises(MediaTooLarge) as refused:
            await fetch("https://cdn.example.com/big.png", client, dns)

        assert refused.value.code == "too_large"
        assert refused.value.size == LIMIT + 1
        assert sent == []

    async def test_a_chunked_body_is_cut_off_once_it_passes_the_limit(
        self, internet: FakeInternet, dns: FakeDns, client: httpx.AsyncClient
    ) -> None:
        chunks_sent = 0

        async def endless() -> AsyncIterator[bytes]:
            nonlocal chunks_sent
            yield PNG
            while True:
                chunks_sent += 1
                yield b"\x00" * 256

        internet.serve_response(
            "cdn.example.com",
            "/stream.png",
            lambda: httpx.Response(200, headers={"content-type": "image/png"}, content=endless()),
        )

        with pytest.raises(MediaTooLarge):
            await fetch("https://cdn.example.com/stream.png", client, dns)

        # Reading stops at the first chunk that crosses the limit.
        assert len(PNG) + (chunks_sent - 1) * 256 <= LIMIT < len(PNG) + chunks_sent * 256

    async def test_a_body_exactly_at_the_limit_is_accepted(
        self, internet: FakeInternet, dns: FakeDns, client: httpx.AsyncClient
    ) -> None:
        content = PNG + b"\x00" * (LIMIT - len(PNG))
        internet.serve_response("cdn.example.com", "/a.png", lambda: image(content))

        media = await fetch_media(
            "https://cdn.example.com/a.png",
            client=client,
            max_bytes=LIMIT,
            allowed_types=DEFAULT_MEDIA_TYPES,
        )

        assert len(media.content) == LIMIT

    @pytest.mark.parametrize("content_type", ["text/html; charset=utf-8", "image/svg+xml", ""])
    async def test_a_type_outside_the_allowed_ones_is_refused(
        self, content_type: str, internet: FakeInternet, dns: FakeDns, client: httpx.AsyncClient
    ) -> None:
        internet.serve_response(
            "cdn.example.com",
            "/a",
            lambda: httpx.Response(200, headers={"content-type": content_type}, content=b"<svg/>"),
        )

        with pytest.raises(UnsupportedMediaType) as refused:
            await fetch("https://cdn.example.com/a", client, dns)

        assert refused.value.code == "unsupported_type"

    async def test_parameters_and_case_of_the_content_type_are_ignored(
        self, internet: FakeInternet, dns: FakeDns, client: httpx.AsyncClient
    ) -> None:
        internet.serve_response(
            "cdn.example.com", "/a.jpg", lambda: image(JPEG, "Image/JPEG; quality=high")
        )

        media = await fetch_media(
            "https://cdn.example.com/a.jpg",
            client=client,
            max_bytes=LIMIT,
            allowed_types=DEFAULT_MEDIA_TYPES,
        )

        assert media.content_type == "image/jpeg"

    async def test_bytes_that_contradict_the_declared_image_type_are_refused(
        self, internet: FakeInternet, dns: FakeDns, client: httpx.AsyncClient
    ) -> None:
        internet.serve_response("cdn.example.com", "/a.png", lambda: image(b"<html>hi</html>"))

        with pytest.raises(UnsupportedMediaType):
            await fetch("https://cdn.example.com/a.png", client, dns)

    async def test_a_404_is_reported_as_not_found(
        self, dns: FakeDns, client: httpx.AsyncClient
    ) -> None:
        with pytest.raises(MediaNotFound) as refused:
            await fetch("https://cdn.example.com/missing.png", client, dns)

        assert (refused.value.code, refused.value.status_code) == ("not_found", 404)
        assert not refused.value.retryable

    async def test_a_server_error_is_reported_as_retryable(
        self, internet: FakeInternet, dns: FakeDns, client: httpx.AsyncClient
    ) -> None:
        internet.serve_response("cdn.example.com", "/a.png", lambda: httpx.Response(503))

        with pytest.raises(MediaHttpError) as refused:
            await fetch("https://cdn.example.com/a.png", client, dns)

        assert (refused.value.code, refused.value.status_code) == ("http_error", 503)
        assert refused.value.retryable

    async def test_a_server_that_never_answers_times_out(
        self, internet: FakeInternet, dns: FakeDns, client: httpx.AsyncClient
    ) -> None:
        async def hang(_: httpx.Request) -> httpx.Response:
            await asyncio.sleep(60)
            return image()

        internet.serve("cdn.example.com", "/a.png", hang)

        with pytest.raises(MediaTimeout) as refused:
            await fetch("https://cdn.example.com/a.png", client, dns, total_timeout=0.05)

        assert refused.value.code == "timeout"
        assert refused.value.retryable

    async def test_a_body_that_stalls_times_out(
        self, internet: FakeInternet, dns: FakeDns, client: httpx.AsyncClient
    ) -> None:
        async def trickle() -> AsyncIterator[bytes]:
            yield PNG
            await asyncio.sleep(60)
            yield b"\x00"

        internet.serve_response(
            "cdn.example.com",
            "/a.png",
            lambda: httpx.Response(200, headers={"content-type": "image/png"}, content=trickle()),
        )

        with pytest.raises(MediaTimeout):
            await fetch("https://cdn.example.com/a.png", client, dns, total_timeout=0.05)

    async def test_a_resolver_that_hangs_times_out(self, internet: FakeInternet) -> None:
        async def hang(host: str, port: int) -> Sequence[str]:
            await asyncio.sleep(60)
            return [PUBLIC_IP]

        async with guarded(internet, hang) as client:
            with pytest.raises(MediaTimeout):
                await fetch_media(
                    "https://cdn.example.com/a.png",
                    client=client,
                    max_bytes=LIMIT,
                    allowed_types=DEFAULT_MEDIA_TYPES,
                    total_timeout=0.05,
                )

    async def test_a_transport_timeout_is_reported_as_a_timeout(
        self, internet: FakeInternet, dns: FakeDns, client: httpx.AsyncClient
    ) -> None:
        async def read_timeout(request: httpx.Request) -> httpx.Response:
            raise httpx.ReadTimeout("timed out", request=request)

        internet.serve("cdn.example.com", "/a.png", read_timeout)

        with pytest.raises(MediaTimeout):
            await fetch("https://cdn.example.com/a.png", client, dns)

    async def test_a_refused_connection_is_reported_as_unreachable(
        self, internet: FakeInternet, dns: FakeDns, client: httpx.AsyncClient
    ) -> None:
        async def refuse(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("connection refused", request=request)

        internet.serve("cdn.example.com", "/a.png", refuse)

        with pytest.raises(MediaUnreachable) as refused:
            await fetch("https://cdn.example.com/a.png", client, dns)

        assert refused.value.retryable
