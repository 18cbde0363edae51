"""Signing in: access tokens of a real OpenID Connect issuer (node-oidc-provider, started here)
are accepted, and every way a token can be wrong is refused."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from beacon_shared.auth.oidc import OidcConfig, OidcVerifier, TokenRefused
from beacon_shared.embedded_oidc import IssuerUnavailable, LocalIssuer, start_issuer

USERS = [{"sub": "demo", "email": "demo@beacon.local", "name": "Demo"}]


def rsa_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS256", "use": "sig"})


def write_keys(path: Path, *keys: RSAKey) -> Path:
    path.write_text(json.dumps([key.as_dict(private=True) for key in keys]))
    return path


def started(**options: object) -> LocalIssuer:
    try:
        return start_issuer(users=USERS, **options)  # type: ignore[arg-type]
    except IssuerUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("oidc-keys")


@pytest.fixture(scope="module")
def first_key() -> RSAKey:
    return rsa_key("first")


@pytest.fixture(scope="module")
def issuer(keys_dir: Path, first_key: RSAKey) -> Iterator[LocalIssuer]:
    running = started(keys_file=write_keys(keys_dir / "first.json", first_key))
    yield running
    running.stop()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0) as client:
        yield client


def verifier_for(issuer: LocalIssuer, http: httpx.AsyncClient, **config: object) -> OidcVerifier:
    return OidcVerifier(OidcConfig(issuer.issuer, "beacon", **config), http=http)  # type: ignore[arg-type]


def forged(header: dict[str, object], claims: dict[str, object]) -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}."


def claims_of(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(payload + "=="))
    return decoded


async def test_the_issuer_s_access_token_names_the_user(issuer, http):
    token = await issuer.sign_in("demo")

    identity = await verifier_for(issuer, http).verify(token)

    assert (identity.issuer, identity.subject) == (issuer.issuer, "demo")
    assert (identity.email, identity.name) == ("demo@beacon.local", "Demo")


async def test_an_expired_token_is_refused(issuer, http):
    token = await issuer.sign_in("demo")
    later = OidcVerifier(
        OidcConfig(issuer.issuer, "beacon"), http=http, clock=lambda: time.time() + 7200
    )
    with pytest.raises(TokenRefused, match="expired"):
        await later.verify(token)


async def test_a_token_of_another_issuer_with_the_same_keys_is_refused(
    issuer, http, keys_dir, first_key
):
    other = started(keys_file=write_keys(keys_dir / "other.json", first_key))
    try:
        token = await other.sign_in("demo")
    finally:
        other.stop()
    with pytest.raises(TokenRefused, match="another issuer"):
        await verifier_for(issuer, http).verify(token)


async def test_a_token_for_another_audience_is_refused(http, keys_dir, first_key):
    # The right issuer, but its tokens are meant for another API.
    other = started(audience="another-api", keys_file=write_keys(keys_dir / "aud.json", first_key))
    try:
        token = await other.sign_in("demo")
        assert claims_of(token)["aud"] == "another-api"
        with pytest.raises(TokenRefused, match="another audience"):
            await verifier_for(other, http).verify(token)
    finally:
        other.stop()


async def test_alg_none_is_refused(issuer, http):
    claims = {**claims_of(await issuer.sign_in("demo")), "sub": "admin"}
    with pytest.raises(TokenRefused, match="algorithm 'none'"):
        await verifier_for(issuer, http).verify(forged({"alg": "none", "kid": "first"}, claims))


async def test_hmac_keyed_with_the_public_key_is_refused(issuer, http, first_key):
    claims = {**claims_of(await issuer.sign_in("demo")), "sub": "admin"}
    public = OctKey.import_key(json.dumps(first_key.as_dict(private=False)).encode())
    token = jwt.encode({"alg": "HS256", "kid": "first"}, claims, public)
    with pytest.raises(TokenRefused, match="'HS256' is not accepted"):
        await verifier_for(issuer, http).verify(token)


async def test_a_key_the_issuer_does_not_publish_is_refused_and_fetched_for_once(issuer, http):
    fetched: list[str] = []

    async def record(request: httpx.Request) -> None:
        fetched.append(request.url.path)

    http.event_hooks["request"].append(record)
    verifier = verifier_for(issuer, http, refresh_interval_seconds=3600)
    await verifier.verify(await issuer.sign_in("demo"))
    claims = claims_of(await issuer.sign_in("demo"))
    intruder = rsa_key("intruder")

    for _ in range(3):
        with pytest.raises(TokenRefused, match="does not publish"):
            await verifier.verify(jwt.encode({"alg": "RS256", "kid": "intruder"}, claims, intruder))

    assert fetched.count("/jwks") == 1


async def test_a_tampered_token_is_refused(issuer, http):
    header, payload, signature = (await issuer.sign_in("demo")).split(".")
    claims = {**json.loads(base64.urlsafe_b64decode(payload + "==")), "sub": "admin"}
    changed = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(TokenRefused, match="signature"):
        await verifier_for(issuer, http).verify(f"{header}.{changed}.{signature}")


@pytest.mark.parametrize("token", ["", "bk_not_a_jwt", "a.b", "a.b.c", "x" * 20_000])
async def test_what_is_not_a_jwt_is_refused(issuer, http, token):
    with pytest.raises(TokenRefused):
        await verifier_for(issuer, http).verify(token)


async def test_keys_rotate_without_a_restart(keys_dir, http):
    old, new = rsa_key("old"), rsa_key("new")
    before = started(keys_file=write_keys(keys_dir / "old.json", old))
    try:
        verifier = verifier_for(before, http, refresh_interval_seconds=0)
        old_token = await before.sign_in("demo")
        await verifier.verify(old_token)
        port, name = before.port, before.issuer
    finally:
        before.stop()
    # The issuer comes back signing with a new key, still publishing the old one.
    after = started(port=port, issuer=name, keys_file=write_keys(keys_dir / "both.json", new, old))
    try:
        new_token = await after.sign_in("demo")
        assert json.loads(base64.urlsafe_b64decode(new_token.split(".")[0] + "=="))["kid"] == "new"
        assert (await verifier.verify(new_token)).subject == "demo"
        assert (await verifier.verify(old_token)).subject == "demo"
    finally:
        after.stop()
