"""HTTP receivers of the networks' webhooks; authenticated by signature, not by API key."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse

from beacon_shared.errors import without_json_nul
from beacon_shared.logging import get_logger
from ingest.accounts.directory import AccountDirectory
from ingest.config import Settings
from ingest.interactions.dependencies import Accounts, Committer
from ingest.interactions.group_commit import GroupCommitter
from ingest.webhooks import meta, x
from ingest.webhooks.exceptions import InvalidSignature, VerificationFailed, WebhookNotConfigured
from ingest.webhooks.intake import file_interactions, record_own_activity
from ingest.webhooks.metrics import WEBHOOK_REJECTED
from ingest.webhooks.normalised import Normalised
from ingest.webhooks.schemas import WebhookAck, XCrcResponse

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
log = get_logger(__name__)
META = "meta"
X = "x"


@router.get(
    "/meta",
    response_class=PlainTextResponse,
    summary="Meta's subscription handshake",
    responses={200: {"content": {"text/plain": {}}}, 403: {}, 503: {}},
)
async def meta_handshake(
    request: Request,
    mode: Annotated[str | None, Query(alias="hub.mode", max_length=64)] = None,
    verify_token: Annotated[str | None, Query(alias="hub.verify_token", max_length=1024)] = None,
    challenge: Annotated[str, Query(alias="hub.challenge", max_length=1024)] = "",
) -> PlainTextResponse:
    """Echo `hub.challenge` when `hub.verify_token` is the configured INGEST_META_VERIFY_TOKEN."""
    settings: Settings = request.app.state.settings
    if settings.meta_verify_token is None:
        raise WebhookNotConfigured("INGEST_META_VERIFY_TOKEN")
    expected = settings.meta_verify_token.get_secret_value()
    if mode != "subscribe" or not meta.verify_token_matches(verify_token, expected):
        log.warning("webhook.handshake_refused", network=META, mode=mode)
        raise VerificationFailed("hub.mode must be subscribe and hub.verify_token must match.")
    log.info("webhook.handshake_accepted", network=META)
    return PlainTextResponse(challenge)


@router.post(
    "/meta",
    summary="Receive a Meta webhook delivery (Pages feed, Instagram, messaging)",
    responses={401: {}, 413: {}, 503: {}},
)
async def meta_delivery(request: Request, directory: Accounts, committer: Committer) -> WebhookAck:
    """Stored before the answer; a payload that can never be read is acknowledged and counted.

    Meta retries a delivery until it gets a 200, so only a bad signature or a missing secret is
    refused; everything left out is counted in `beacon_ingest_webhook_rejected_total`.
    """
    settings: Settings = request.app.state.settings
    if settings.meta_app_secret is None:
        raise WebhookNotConfigured("INGEST_META_APP_SECRET")
    # The signature covers the exact bytes sent, so it is checked before anything parses them.
    body = await request.body()
    signature = request.headers.get(meta.SIGNATURE_HEADER)
    if not meta.signature_is_valid(body, signature, settings.meta_app_secret.get_secret_value()):
        _reject(META, "bad_signature" if signature else "missing_signature")
        raise InvalidSignature(f"{meta.SIGNATURE_HEADER} must be sha256=<hex HMAC of the body>.")
    payload = _parse(body, META)
    if payload is None:
        return WebhookAck(stored=0, duplicates=0, skipped=1)
    return await _file(request, directory, committer, META, meta.normalise(payload))


@router.get(
    "/x",
    summary="X's challenge-response check (CRC)",
    responses={422: {}, 503: {}},
)
async def x_crc(
    request: Request, crc_token: Annotated[str, Query(min_length=1, max_length=1024)]
) -> XCrcResponse:
    """`sha256=` + base64 HMAC-SHA256 of `crc_token` with INGEST_X_CONSUMER_SECRET."""
    secret = _x_secret(request)
    return XCrcResponse(response_token=x.crc_response_token(crc_token, secret))


@router.post(
    "/x",
    summary="Receive an X Account Activity delivery (mentions, replies, likes, DMs, follows)",
    responses={401: {}, 413: {}, 503: {}},
)
async def x_delivery(request: Request, directory: Accounts, committer: Committer) -> WebhookAck:
    """Stored before the answer; unreadable or unsupported parts are acknowledged and counted."""
    secret = _x_secret(request)
    body = await request.body()
    signature = request.headers.get(x.SIGNATURE_HEADER)
    if not x.signature_is_valid(body, signature, secret):
        _reject(X, "bad_signature" if signature else "missing_signature")
        raise InvalidSignature(f"{x.SIGNATURE_HEADER} must be sha256=<base64 HMAC of the body>.")
    payload = _parse(body, X)
    if payload is None:
        return WebhookAck(stored=0, duplicates=0, skipped=1)
    return await _file(request, directory, committer, X, x.normalise(payload))


def _x_secret(request: Request) -> str:
    settings: Settings = request.app.state.settings
    if settings.x_consumer_secret is None:
        raise WebhookNotConfigured("INGEST_X_CONSUMER_SECRET")
    return settings.x_consumer_secret.get_secret_value()


def _parse(body: bytes, network: str) -> dict[str, Any] | None:
    """The delivery's JSON object, or None (counted) when it can never be read."""
    try:
        # PostgreSQL cannot store U+0000; the signature was checked on the bytes as sent.
        payload = orjson.loads(without_json_nul(body))
    except orjson.JSONDecodeError:
        payload = None
    if not isinstance(payload, dict):
        _reject(network, "malformed")
        return None
    return payload


async def _file(
    request: Request,
    directory: AccountDirectory,
    committer: GroupCommitter,
    network: str,
    normalised: Normalised,
) -> WebhookAck:
    # No connection is held while waiting: the lookup returns its own, the group commit takes one.
    filed = await file_interactions(
        normalised.by_account, resolve=directory.resolve, accept=committer.accept
    )
    skipped = normalised.skipped + filed.skipped
    own = 0
    if normalised.own:
        # The accounts' own replies and messages: rare beside what they answer, so a
        # transaction of their own, committed before the answer as interactions are.
        async with request.app.state.sessionmaker() as session, session.begin():
            recorded = await record_own_activity(
                session, normalised.own, resolve=directory.resolve, now=datetime.now(UTC)
            )
        own = recorded.stored
        skipped += recorded.skipped
    for reason, count in skipped.items():
        _reject(network, reason, count)
    log.info(
        "webhook.delivery_filed",
        network=network,
        stored=filed.stored,
        duplicates=filed.duplicates,
        own_activity=own,
        skipped=dict(skipped),
    )
    return WebhookAck(
        stored=filed.stored,
        duplicates=filed.duplicates,
        own_activity=own,
        skipped=sum(skipped.values()),
    )


def _reject(network: str, reason: str, count: int = 1) -> None:
    WEBHOOK_REJECTED.labels(network=network, reason=reason).inc(count)
    if reason in ("bad_signature", "missing_signature", "malformed"):
        log.warning("webhook.rejected", network=network, reason=reason)
