"""Against a real local TLS server: the vetted address is dialled, the name is verified."""

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

from publisher.media import (
    DEFAULT_MEDIA_TYPES,
    MediaTimeout,
    MediaUnreachable,
    addresses,
    fetch_media,
)

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


@pytest.fixture(autouse=True)
def loopback_counts_as_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """The local server lives on 127.0.0.1; let only that address through for these tests."""
    real = addresses.non_public_reason
    monkeypatch.setattr(
        addresses, "non_public_reason", lambda a: None if a == LOOPBACK else real(a)
    )


async def to_loopback(host: str, port: int) -> Sequence[str]:
    return ["127.0.0.1"]


async def test_the_vetted_address_is_dialled_and_the_certificate_checked_for_the_name(
    certificate: tuple[Path, Path], tls_server: tuple[int, list[str]]
) -> None:
    port, names = tls_server
    verify = ssl.create_default_context(cafile=str(certificate[0]))
    async with httpx.AsyncClient(verify=verify, trust_env=False) as client:
        media = await fetch_media(
            f"https://{NAME}:{port}/a.png",
            client=client,
            max_bytes=1024,
            allowed_types=DEFAULT_MEDIA_TYPES,
            resolver=to_loopback,
        )

    assert media.content == PNG
    assert names == [NAME]
    assert Handler.hosts == [f"{NAME}:{port}"]


async def test_a_certificate_for_another_name_is_refused(
    certificate: tuple[Path, Path], tls_server: tuple[int, list[str]]
) -> None:
    port, _ = tls_server
    verify = ssl.create_default_context(cafile=str(certificate[0]))
    async with httpx.AsyncClient(verify=verify, trust_env=False) as client:
        with pytest.raises(MediaUnreachable):
            await fetch_media(
                f"https://other.example.com:{port}/a.png",
                client=client,
                max_bytes=1024,
                allowed_types=DEFAULT_MEDIA_TYPES,
                resolver=to_loopback,
            )

    assert Handler.hosts == []


async def test_a_server_that_accepts_but_never_answers_times_out() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        async with httpx.AsyncClient(trust_env=False) as client:
            with pytest.raises(MediaTimeout):
                await fetch_media(
                    f"http://{NAME}:{port}/a.png",
                    client=client,
                    max_bytes=1024,
                    allowed_types=DEFAULT_MEDIA_TYPES,
                    resolver=to_loopback,
                    read_timeout=0.2,
                )
