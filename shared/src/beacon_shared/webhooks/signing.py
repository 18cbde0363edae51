"""Standard Webhooks symmetric signatures: `whsec_` secrets, `v1,` HMAC-SHA256 of id.timestamp.body.

Spec: https://www.standardwebhooks.com (spec/standard-webhooks.md, version 1.0.0).
The signed content is `{msg_id}.{timestamp}.{body}` with the body exactly as sent; the
`webhook-signature` header is a space-separated list so that during a secret rotation the
message can be signed with the old and the new secret and receivers accept either.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets as _secrets
from collections.abc import Mapping, Sequence
from datetime import datetime

SECRET_PREFIX = "whsec_"  # noqa: S105 - the spec's public prefix, not a secret
MIN_SECRET_BYTES = 24
MAX_SECRET_BYTES = 64
DEFAULT_SECRET_BYTES = 32
SIGNATURE_VERSION = "v1"
DEFAULT_TOLERANCE_SECONDS = 300

HEADER_ID = "webhook-id"
HEADER_TIMESTAMP = "webhook-timestamp"
HEADER_SIGNATURE = "webhook-signature"

# Digits only: int() would also take "+5", " 5" and "1_0", which a signer never emits.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class InvalidSecret(ValueError):
    """A secret is not `whsec_` + base64 of 24 to 64 bytes."""


class WebhookVerificationError(Exception):
    """An incoming webhook failed verification."""


class MalformedHeaders(WebhookVerificationError):
    """A `webhook-*` header is missing, empty or unparsable."""


class TimestampOutOfTolerance(WebhookVerificationError):
    """`webhook-timestamp` is too far from the receiver's clock (a possible replay)."""


class NoMatchingSignature(WebhookVerificationError):
    """None of the `v1,` signatures matches any of the secrets."""


def new_secret(n_bytes: int = DEFAULT_SECRET_BYTES) -> str:
    """Return a fresh `whsec_` secret of `n_bytes` random bytes."""
    if not MIN_SECRET_BYTES <= n_bytes <= MAX_SECRET_BYTES:
        raise InvalidSecret(f"a secret has {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes")
    return SECRET_PREFIX + base64.b64encode(_secrets.token_bytes(n_bytes)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """Return the HMAC key of a `whsec_` secret, checking its format and length."""
    if not secret.startswith(SECRET_PREFIX):
        raise InvalidSecret(f"a secret starts with {SECRET_PREFIX!r}")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidSecret("a secret is base64 after its prefix") from exc
    if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
        raise InvalidSecret(f"a secret has {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes")
    return key


def _digest(key: bytes, msg_id: str, timestamp: int, body: bytes) -> bytes:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return hmac.new(key, signed, hashlib.sha256).digest()


def _check_metadata(msg_id: str, timestamp: int) -> None:
    # The spec asks that neither part contain "." so that the signed content stays unambiguous.
    if not msg_id or "." in msg_id or any(c.isspace() for c in msg_id):
        raise ValueError("msg_id must be non-empty, without '.' or whitespace")
    if isinstance(timestamp, bool) or timestamp < 0:
        raise ValueError("timestamp must be a non-negative unix time in seconds")


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """Return the `webhook-signature` value `v1,<base64 HMAC-SHA256>` for one secret."""
    _check_metadata(msg_id, timestamp)
    digest = _digest(secret_key(secret), msg_id, timestamp, body)
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode('ascii')}"


def _as_list(secret_or_secrets: str | Sequence[str]) -> list[str]:
    found = [secret_or_secrets] if isinstance(secret_or_secrets, str) else list(secret_or_secrets)
    if not found:
        raise InvalidSecret("at least one secret is needed")
    return found


def sign_all(secrets: str | Sequence[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """Return the space-separated signatures by every secret (old and new during a rotation)."""
    return " ".join(sign(s, msg_id, timestamp, body) for s in _as_list(secrets))


def headers(
    secret: str | Sequence[str], msg_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """Return the `webhook-id`, `webhook-timestamp` and `webhook-signature` headers."""
    return {
        HEADER_ID: msg_id,
        HEADER_TIMESTAMP: str(timestamp),
        HEADER_SIGNATURE: sign_all(secret, msg_id, timestamp, body),
    }


def _header(received: Mapping[str, str], name: str) -> str:
    value = received.get(name)
    if value is None:
        # Plain dicts are case-sensitive; HTTP header names are not.
        value = next((v for k, v in received.items() if k.lower() == name), None)
    if value is None or not value.strip():
        raise MalformedHeaders(f"missing {name}")
    return value.strip()


def _candidates(signature_header: str) -> list[bytes]:
    """Decode every `v1,` entry; other versions (such as `v1a`) and junk entries are skipped."""
    found: list[bytes] = []
    for entry in signature_header.split(" "):
        version, sep, encoded = entry.partition(",")
        if not sep or version != SIGNATURE_VERSION:
            continue
        try:
            found.append(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            continue
    return found


def verify(
    secrets: str | Sequence[str],
    received: Mapping[str, str],
    body: bytes,
    *,
    now: datetime,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> None:
    """Raise a `WebhookVerificationError` unless `received` headers sign `body` with a secret."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    keys = [secret_key(s) for s in _as_list(secrets)]
    msg_id = _header(received, HEADER_ID)
    raw_timestamp = _header(received, HEADER_TIMESTAMP)
    signature_header = _header(received, HEADER_SIGNATURE)
    if _TIMESTAMP.fullmatch(raw_timestamp) is None:
        raise MalformedHeaders(f"{HEADER_TIMESTAMP} is not a unix time in seconds")
    timestamp = int(raw_timestamp)
    if abs(now.timestamp() - timestamp) > tolerance:
        raise TimestampOutOfTolerance(f"{HEADER_TIMESTAMP} is more than {tolerance}s from now")
    candidates = _candidates(signature_header)
    if not candidates:
        raise MalformedHeaders(f"{HEADER_SIGNATURE} holds no {SIGNATURE_VERSION} signature")
    matched = False
    # Every pair is compared, without stopping early, so timing says nothing about which matched.
    for key in keys:
        expected = _digest(key, msg_id, timestamp, body)
        for candidate in candidates:
            matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise NoMatchingSignature("no signature matches")
