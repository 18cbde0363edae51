"""Connecting an account: a connect flow's state is single-use, hashed, bound to the
organization and the person or key that started it, and lives 10 minutes; Bluesky connects with
an app password instead."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.auth.keys import hash_key
from beacon_shared.auth.principal import Principal
from beacon_shared.egress import UrlRefused, check_base_url
from beacon_shared.logging import get_logger
from beacon_shared.networks.oauth import (
    ClientApp,
    GrantedAccount,
    OAuthRefused,
    OAuthUnavailable,
    bluesky,
    mastodon,
    pkce_pair,
)
from beacon_shared.networks.oauth.mastodon import MastodonOAuth
from workspace.audit.service import record
from workspace.config import Settings
from workspace.connections import repository
from workspace.connections.apps import (
    credentials_box,
    http_client,
    linkedin,
    meta,
    redirect_uri,
    require_keys,
    x,
)
from workspace.connections.exceptions import (
    NetworkRefused,
    NetworkUnavailable,
    OAuthStateExpired,
    OAuthStateInvalid,
    OAuthStateUsed,
    ReturnUrlRefused,
    ServerUrlRefused,
)
from workspace.connections.repository import AnyRow
from workspace.connections.schemas import BlueskyIn, CallbackQuery, ConnectIn
from workspace.connections.service import store

log = get_logger(__name__)
STATE_PREFIX = "bs_"
STATE_VALID_FOR = timedelta(minutes=10)


# Checks ---------------------------------------------------------------------------------------


def check_return_url(settings: Settings, raw: str) -> str:
    """The return URL, if its origin is allowed (no open redirect); else ReturnUrlRefused."""
    try:
        url = httpx.URL(raw.strip())
    except (httpx.InvalidURL, ValueError) as exc:
        raise ReturnUrlRefused("does not parse") from exc
    if url.scheme not in ("https", "http") or not url.host:
        raise ReturnUrlRefused("must be an absolute http(s) URL")
    if url.userinfo:
        raise ReturnUrlRefused("must not carry credentials")
    origin = f"{url.scheme}://{url.netloc.decode('ascii')}".lower()
    allowed = settings.return_origin_set
    if origin not in allowed:
        raise ReturnUrlRefused(
            f"has the origin {origin}, which is not among WORKSPACE_RETURN_ORIGINS"
            if allowed
            else "cannot be used: WORKSPACE_RETURN_ORIGINS lists no origin"
        )
    return str(url)


def _server_url(settings: Settings, field: str, raw: str) -> str:
    try:
        return check_base_url(raw, settings.egress)
    except UrlRefused as exc:
        raise ServerUrlRefused(field, exc.reason) from exc


# Starting a connection ------------------------------------------------------------------------


async def start(
    session: AsyncSession,
    *,
    settings: Settings,
    principal: Principal,
    brand_id: str,
    body: ConnectIn,
) -> tuple[str, datetime]:
    """The network's authorization URL for a new flow, and when the flow expires."""
    return_url = check_return_url(settings, body.return_url)
    require_keys(settings)
    box = credentials_box(settings)
    state = STATE_PREFIX + secrets.token_urlsafe(32)
    callback = redirect_uri(settings)
    verifier: str | None = None
    instance: str | None = None
    async with http_client(settings) as http:
        if body.network == "facebook":
            url = meta(settings, http).authorization_url(state=state, redirect_uri=callback)
        elif body.network == "linkedin":
            url = linkedin(settings, http).authorization_url(state=state, redirect_uri=callback)
        elif body.network == "x":
            verifier, challenge = pkce_pair()
            url = x(settings, http).authorization_url(
                state=state, redirect_uri=callback, code_challenge=challenge
            )
        else:
            if not body.instance:
                raise ServerUrlRefused("instance", "a Mastodon connection needs its instance URL")
            instance = _server_url(settings, "instance", body.instance)
            app, pkce = await _mastodon_app(session, settings, http, instance, callback)
            challenge = None
            if pkce:
                verifier, challenge = pkce_pair()
            url = MastodonOAuth(http, app, instance).authorization_url(
                state=state, redirect_uri=callback, code_challenge=challenge
            )
    now = datetime.now(UTC)
    state_id = uuid.uuid4()
    await repository.add_state(
        session,
        {
            "id": state_id,
            "tenant_id": principal.tenant_id,
            "brand_id": brand_id,
            "network": body.network,
            "actor": principal.actor,
            "user_id": principal.user_id,
            "state_hash": hash_key(state),
            "secrets": box.encrypt({"code_verifier": verifier}) if verifier else None,
            "instance_url": instance,
            "return_url": return_url,
            "redirect_uri": callback,
            "created_at": now,
            "expires_at": now + STATE_VALID_FOR,
        },
    )
    await record(
        session,
        tenant_id=principal.tenant_id,
        actor=principal.actor,
        action="connection.started",
        target=f"oauth_state:{state_id}",
        detail={"brand_id": brand_id, "network": body.network, "instance": instance},
    )
    return url, now + STATE_VALID_FOR


async def _mastodon_app(
    session: AsyncSession,
    settings: Settings,
    http: httpx.AsyncClient,
    instance: str,
    callback: str,
) -> tuple[ClientApp, bool]:
    """Beacon's app at the instance, registered the first time; and whether it takes PKCE."""
    box = credentials_box(settings)
    row = await repository.mastodon_app_for(session, instance_url=instance, redirect_uri=callback)
    if row is None:
        try:
            app = await mastodon.register_app(
                http,
                instance=instance,
                redirect_uri=callback,
                client_name=settings.mastodon_client_name,
                website=settings.public_url,
            )
            pkce = await mastodon.supports_pkce(http, instance=instance)
        except OAuthRefused as exc:
            raise NetworkRefused(f"The instance refused to register Beacon: {exc.reason}.") from exc
        except OAuthUnavailable as exc:
            raise NetworkUnavailable(f"{exc.reason}; try again shortly.") from exc
        row = await repository.add_mastodon_app(
            session,
            {
                "instance_url": instance,
                "redirect_uri": callback,
                "client_id": app.client_id,
                "client_secret": box.encrypt({"client_secret": app.client_secret}),
                "pkce": pkce,
            },
        )
    secret = box.decrypt(row.client_secret)["client_secret"]
    return ClientApp(row.client_id, SecretStr(secret)), bool(row.pkce)


# The network's callback -----------------------------------------------------------------------


async def complete(session: AsyncSession, *, settings: Settings, query: CallbackQuery) -> str:
    """Finish a flow the browser came back from: the URL to send it on to, with the outcome.

    A state no flow has is a 400, a used one a 409, an expired one a 410 (nothing is known to
    be trusted about where to send the browser). Otherwise the state is used up whatever
    happens, and the browser returns to the flow's return URL with `connection=connected` and
    the accounts' ids, or `connection=failed` and an error code; a failure stores no account.
    """
    if not query.state:
        raise OAuthStateInvalid("The callback carries no state.")
    flow = await repository.state_by_hash(session, hash_key(query.state))
    if flow is None:
        raise OAuthStateInvalid("No connection was started with this state.")
    if flow.used_at is not None:
        raise OAuthStateUsed("This connection was already completed; start a new one.")
    now = datetime.now(UTC)
    if flow.expires_at <= now:
        raise OAuthStateExpired("This connection took more than 10 minutes; start a new one.")
    try:
        if query.error:
            raise OAuthRefused(_plain(query.error), "the network returned an error")
        if not query.code:
            raise OAuthRefused("invalid_request", "the callback carries no code")
        granted = await _exchange(session, settings, flow, query.code, now)
    except OAuthRefused as exc:
        return await _failed(session, flow, now, exc.code, exc.reason)
    except OAuthUnavailable as exc:
        return await _failed(session, flow, now, "network_unavailable", exc.reason)
    rows = await store(
        session,
        settings=settings,
        tenant_id=flow.tenant_id,
        brand_id=flow.brand_id,
        actor=flow.actor,
        granted=granted,
        now=now,
    )
    await repository.finish_state(session, flow.id, at=now, outcome="connected")
    log.info(
        "connection.completed",
        tenant_id=flow.tenant_id,
        network=flow.network,
        accounts=len(rows),
    )
    return _with_outcome(
        flow.return_url,
        connection="connected",
        network=flow.network,
        accounts=",".join(str(r.id) for r in rows),
    )


def _plain(value: str) -> str:
    return "".join(c for c in value if c.isalnum() or c in "_-.")[:64] or "refused"


async def _exchange(
    session: AsyncSession, settings: Settings, flow: AnyRow, code: str, now: datetime
) -> list[GrantedAccount]:
    verifier = (
        credentials_box(settings).decrypt(flow.secrets)["code_verifier"] if flow.secrets else None
    )
    async with http_client(settings) as http:
        if flow.network == "facebook":
            return await meta(settings, http).connect(code=code, redirect_uri=flow.redirect_uri)
        if flow.network == "linkedin":
            return await linkedin(settings, http).connect(
                code=code, redirect_uri=flow.redirect_uri, now=now
            )
        if flow.network == "x":
            assert verifier is not None
            return await x(settings, http).connect(
                code=code, redirect_uri=flow.redirect_uri, code_verifier=verifier, now=now
            )
        app, _ = await _mastodon_app(session, settings, http, flow.instance_url, flow.redirect_uri)
        return await MastodonOAuth(http, app, flow.instance_url).connect(
            code=code, redirect_uri=flow.redirect_uri, code_verifier=verifier
        )


async def _failed(
    session: AsyncSession, flow: AnyRow, now: datetime, error: str, reason: str
) -> str:
    await repository.finish_state(session, flow.id, at=now, outcome=f"failed:{error}")
    await record(
        session,
        tenant_id=flow.tenant_id,
        actor=flow.actor,
        action="connection.failed",
        target=f"oauth_state:{flow.id}",
        detail={"brand_id": flow.brand_id, "network": flow.network, "error": error},
    )
    log.warning(
        "connection.failed",
        tenant_id=flow.tenant_id,
        network=flow.network,
        error=error,
        reason=reason,
    )
    return _with_outcome(flow.return_url, connection="failed", network=flow.network, error=error)


def _with_outcome(return_url: str, **params: str) -> str:
    return str(httpx.URL(return_url).copy_merge_params(params))


# Bluesky --------------------------------------------------------------------------------------


async def connect_bluesky(
    session: AsyncSession,
    *,
    settings: Settings,
    principal: Principal,
    brand_id: str,
    body: BlueskyIn,
) -> list[AnyRow]:
    """Sign in with the app password; store the account it opens."""
    service = _server_url(settings, "service", body.service or settings.bluesky_service)
    require_keys(settings)
    async with http_client(settings) as http:
        try:
            granted = await bluesky.connect(
                http,
                service=service,
                identifier=body.handle,
                app_password=body.app_password.get_secret_value(),
            )
        except OAuthRefused as exc:
            raise NetworkRefused(
                f"Bluesky refused the handle and app password ({exc.code}).",
                errors=[
                    {
                        "pointer": "/app_password",
                        "location": "body",
                        "type": "network_refused",
                        "message": exc.code,
                    }
                ],
            ) from exc
        except OAuthUnavailable as exc:
            raise NetworkUnavailable(f"{exc.reason}; try again shortly.") from exc
    return await store(
        session,
        settings=settings,
        tenant_id=principal.tenant_id,
        brand_id=brand_id,
        actor=principal.actor,
        granted=[granted],
        now=datetime.now(UTC),
    )
