"""The egress guard against real local servers: the vetted address is dialled, the TLS name is
verified, a second DNS answer cannot move the connection, and redirects are checked again."""

from __future__ import annotations

import datetime as dt
import http.server
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest

from beacon_shared.egress import AddressNotPublic, EgressPolicy, EgressTransport, Resolver

x509 = pytest.importorskip("cryptography.x509")
hashes = pytest.importorskip("cryptography.hazmat.primitives.hashes")
serialization = pytest.importorskip("cryptography.hazmat.primitives.serialization")
rsa = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.rsa")

NAME = "cdn.example.com"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
LOOPBACK = ipaddress.ip_address("127.0.0.1")


class Handler(http.server.BaseHTTPRequestHandler):
    hosts: list[str] = []

    def do_GET(self) -> None:
        self.hosts.append(self.headers["Host"])
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(PNG)))
        self.end_headers()
        self.wfile.write(PNG)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, NAME)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(NAME)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[tuple[int, list[str]]]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    names: list[str] = []
    context.sni_callback = lambda _sock, name, _ctx: names.append(name)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Handler.hosts = []
    yield server.server_address[1], names
    server.shutdown()
    server.server_close()


# The local servers live on loopback: let only the address they listen on through.
ONLY_LOOPBACK = EgressPolicy(
    allow_http=True, allowed_networks=(ipaddress.ip_network("127.0.0.1/32"),)
)


def guarded(
    resolver: Resolver, *, verify: ssl.SSLContext | bool = True, read: float = 5.0
) -> httpx.AsyncClient:
    inner = httpx.AsyncHTTPTransport(verify=verify, trust_env=False)
    return httpx.AsyncClient(
        transport=EgressTransport(inner, ONLY_LOOPBACK, resolver=resolver),
        trust_env=False,
        timeout=httpx.Timeout(read),
    )


async def to_loopback(host: str, port: int) -> Sequence[str]:
    return ["127.0.0.1"]


async def test_the_vetted_address_is_dialled_and_the_certificate_checked_for_the_name(
    certificate: tuple[Path, Path], tls_server: tuple[int, list[str]]
) -> None:
    port, names = tls_server
    verify = ssl.create_default_context(cafile=str(certificate[0]))
    async with guarded(to_loopback, verify=verify) as client:
        response = await client.get(f"https://{NAME}:{port}/a.png")

    assert response.content == PNG
    assert names == [NAME]
    assert Handler.hosts == [f"{NAME}:{port}"]


async def test_a_certificate_for_another_name_is_refused(
    certificate: tuple[Path, Path], tls_server: tuple[int, list[str]]
) -> None:
    port, _ = tls_server
    verify = ssl.create_default_context(cafile=str(certificate[0]))
    async with guarded(to_loopback, verify=verify) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"https://other.example.com:{port}/a.png")

    assert Handler.hosts == []


async def test_a_second_dns_answer_cannot_move_the_connection(
    certificate: tuple[Path, Path], tls_server: tuple[int, list[str]]
) -> None:
    port, _ = tls_server
    answers = iter([["127.0.0.1"], ["10.0.0.1"], ["169.254.169.254"]])

    async def rebinding(host: str, port: int) -> Sequence[str]:
        return next(answers)

    verify = ssl.create_default_context(cafile=str(certificate[0]))
    async with guarded(rebinding, verify=verify) as client:
        response = await client.get(f"https://{NAME}:{port}/a.png")

    # One lookup, checked, then dialled: the later answers were never asked for.
    assert response.status_code == 200
    assert next(answers) == ["10.0.0.1"]


async def test_a_redirect_to_an_address_the_guard_refuses_is_not_followed() -> None:
    seen: list[str] = []

    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            self.send_response(302)
            # 127.0.0.2 is loopback too, but not the one address the policy allows.
            self.send_header("Location", f"http://127.0.0.2:{self.server.server_address[1]}/x")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        async with guarded(to_loopback) as client:
            with pytest.raises(AddressNotPublic, match="loopback"):
                await client.get(f"http://{NAME}:{port}/start", follow_redirects=True)
    finally:
        server.shutdown()
        server.server_close()
    assert seen == ["/start"]


async def test_a_server_that_accepts_but_never_answers_times_out() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        async with guarded(to_loopback, read=0.2) as client:
            with pytest.raises(httpx.ReadTimeout):
                await client.get(f"http://{NAME}:{port}/a.png")
