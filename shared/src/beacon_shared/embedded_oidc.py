"""The local OpenID Connect issuer started by the tests and by `make up`: node-oidc-provider
(`deploy/oidc`), with its development sign-in form, and a client that signs a user in through it.

`sign_in` runs the authorization code flow with PKCE as a browser would (the form takes any
password for a configured user), so tests and newcomers get real access tokens from a real issuer.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from joserfc.jwk import RSAKey

ISSUER_DIR = Path(__file__).resolve().parents[3] / "deploy" / "oidc"
CLIENT_ID = "beacon-local"
REDIRECT_URI = "http://127.0.0.1/callback"
_FORM_ACTION = re.compile(r'<form[^>]*action="([^"]+)"')


class IssuerUnavailable(RuntimeError):
    """The local issuer cannot start: Node.js or its packages are missing."""


def issuer_unavailable_reason() -> str | None:
    """Why the local issuer cannot start here, or None."""
    if shutil.which("node") is None:
        return "Node.js is not installed"
    if not (ISSUER_DIR / "node_modules" / "oidc-provider").is_dir():
        return "deploy/oidc has no packages (`make install` runs `npm ci` there)"
    return None


def issuer_keys(path: Path) -> Path:
    """A file of the local issuer's signing key, made once (readable by its owner only)."""
    if not path.exists():
        key = RSAKey.generate_key(2048, parameters={"kid": secrets.token_hex(8), "alg": "RS256"})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(json.dumps([key.as_dict(private=True)]))
    return path


@dataclass
class LocalIssuer:
    """A running issuer process."""

    process: subprocess.Popen[str]
    issuer: str
    port: int
    audience: str
    users: Sequence[dict[str, str]] = field(default_factory=tuple)

    def stop(self) -> None:
        """Stop the issuer (SIGTERM, then SIGKILL)."""
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    async def sign_in(self, subject: str) -> str:
        """An access token for `subject`, from the authorization code flow with PKCE."""
        return await sign_in(self.issuer, subject)


def start_issuer(
    *,
    users: Sequence[dict[str, str]],
    audience: str = "beacon",
    port: int = 0,
    issuer: str | None = None,
    keys_file: Path | None = None,
    access_token_ttl: int = 3600,
) -> LocalIssuer:
    """Start node-oidc-provider on 127.0.0.1 and wait until it listens."""
    node = shutil.which("node")
    reason = issuer_unavailable_reason()
    if node is None or reason is not None:
        raise IssuerUnavailable(f"the local OpenID Connect issuer cannot start: {reason}")
    env = {
        **os.environ,
        "OIDC_PORT": str(port),
        "OIDC_AUDIENCE": audience,
        "OIDC_USERS": json.dumps(list(users)),
        "OIDC_REDIRECT_URIS": json.dumps([REDIRECT_URI]),
        "OIDC_ACCESS_TOKEN_TTL": str(access_token_ttl),
        "NODE_NO_WARNINGS": "1",
    }
    if issuer is not None:
        env["OIDC_ISSUER"] = issuer
    if keys_file is not None:
        env["OIDC_KEYS_FILE"] = str(keys_file)
    process = subprocess.Popen(  # noqa: S603 - a fixed script of the repository
        [node, str(ISSUER_DIR / "issuer.mjs")],
        cwd=ISSUER_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.wait(timeout=5)
        raise IssuerUnavailable(f"the issuer exited with {process.returncode} before listening")
    ready: dict[str, Any] = json.loads(line)
    return LocalIssuer(process, ready["issuer"], int(ready["port"]), audience, tuple(users))


async def sign_in(issuer: str, subject: str) -> str:
    """Sign `subject` in at `issuer` as a browser would; the access token."""
    async with httpx.AsyncClient(base_url=issuer, timeout=10.0) as browser:
        return await _code_flow(browser, subject)


async def _code_flow(browser: httpx.AsyncClient, subject: str) -> str:
    """Drive the issuer's sign-in and consent forms, then exchange the code with PKCE."""
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    state = secrets.token_urlsafe(16)
    response = await browser.get(
        "/auth",
        params={
            "client_id": CLIENT_ID,
            "response_type": "code",
            "redirect_uri": REDIRECT_URI,
            "scope": "openid email profile",
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    for prompt in ("login", "consent", "consent"):
        response = await _follow_to_page_or_callback(browser, response)
        if response.status_code != 200:
            break
        action = _FORM_ACTION.search(response.text)
        if action is None:
            raise RuntimeError(f"no form on the issuer's {prompt} page: {response.text[:300]}")
        form = {"prompt": "login", "login": subject, "password": "any"}
        if 'value="consent"' in response.text:
            form = {"prompt": "consent"}
        response = await browser.post(action.group(1), data=form)
    callback = urlsplit(response.headers.get("location", ""))
    query = parse_qs(callback.query)
    if query.get("state") != [state] or "code" not in query:
        raise RuntimeError(f"the issuer did not hand back a code: {query}")
    token = await browser.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": REDIRECT_URI,
            "client_id": CLIENT_ID,
            "code_verifier": verifier,
        },
    )
    token.raise_for_status()
    access_token: str = token.json()["access_token"]
    return access_token


async def _follow_to_page_or_callback(
    browser: httpx.AsyncClient, response: httpx.Response
) -> httpx.Response:
    """Follow the issuer's redirects until a page, or a redirect to the client's callback."""
    for _ in range(10):
        location = response.headers.get("location")
        if response.status_code not in (302, 303) or location is None:
            return response
        if location.startswith(REDIRECT_URI):
            return response
        response = await browser.get(location)
    raise RuntimeError("the issuer redirected too many times")


def main() -> None:
    """`python -m beacon_shared.embedded_oidc [SUBJECT]`: sign in to the local issuer (as `make
    up` runs it) and print an access token for the `Authorization: Bearer` header."""
    import asyncio
    import sys

    subject = sys.argv[1] if len(sys.argv) > 1 else "demo"
    offset = int(os.environ.get("BEACON_PORT_OFFSET", "0"))
    port = int(os.environ.get("BEACON_OIDC_PORT") or 8010 + offset)
    issuer = os.environ.get("OIDC_ISSUER") or f"http://127.0.0.1:{port}"

    sys.stdout.write(asyncio.run(sign_in(issuer, subject)) + "\n")


if __name__ == "__main__":
    main()
