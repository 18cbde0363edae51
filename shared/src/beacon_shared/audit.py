"""The audit log: every state-changing API call a principal makes, in every service.

Who (the principal's actor and credential), what (method and route), which resource (the route's
path parameters), when, from where (client address and user agent) and the outcome (the status
code) go to the platform's `iam.audit_log`, written after the answer in a transaction of its own:
a call refused or failed is recorded too, which the call's own transaction could not do. The
workspace service answers queries on it per organization.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import Row, insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from beacon_shared.auth.principal import Principal
from beacon_shared.auth.tables import audit_log
from beacon_shared.logging import get_logger
from beacon_shared.pagination import Cursor

log = get_logger(__name__)
CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
USER_AGENT_LENGTH = 256


def credential_of(principal: Principal) -> str:
    """How the principal signed in: sign_in, personal_token or api_key."""
    if principal.signed_in:
        return "sign_in"
    return "personal_token" if principal.user_id else "api_key"


class AuditMiddleware:
    """Records each state-changing call of an authenticated principal once it is answered."""

    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in CHANGES:
            await self.app(scope, receive, send)
            return
        status = 500

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        finally:
            principal = scope.get("state", {}).get("principal")
            if isinstance(principal, Principal):
                await self._record(scope, principal, status)

    async def _record(self, scope: Scope, principal: Principal, status: int) -> None:
        headers = dict(scope["headers"])
        client = scope.get("client")
        route = scope.get("route")
        values = {
            "id": uuid.uuid4(),
            "tenant_id": principal.tenant_id,
            "at": datetime.now(UTC),
            "actor": principal.actor,
            "credential": credential_of(principal),
            "service": self.service,
            "method": scope["method"],
            "route": getattr(route, "path", scope["path"]),
            "resource": {k: str(v) for k, v in scope.get("path_params", {}).items()},
            "status": status,
            "client_address": client[0] if client else None,
            "user_agent": headers.get(b"user-agent", b"").decode("latin-1")[:USER_AGENT_LENGTH]
            or None,
            # Bound by RequestContextMiddleware: the X-Request-ID the call was answered with.
            "request_id": structlog.contextvars.get_contextvars().get("request_id"),
        }
        engine: AsyncEngine = scope["app"].state.engine
        try:
            async with engine.begin() as conn:
                await conn.execute(insert(audit_log).values(**values))
        except Exception as exc:  # the call is answered already: say so, never fail it
            log.error("audit.not_recorded", route=values["route"], error=repr(exc))


async def entries(
    conn: AsyncConnection,
    *,
    tenant_id: str,
    filters: Mapping[str, Any],
    since: datetime | None,
    until: datetime | None,
    after: Cursor | None,
    limit: int,
) -> Sequence[Row[Any]]:
    """Up to `limit` entries of the organization, newest first, after the cursor's (at, id);
    `filters` are equalities on columns (actor, service, method, status...)."""
    query = select(audit_log).where(audit_log.c.tenant_id == tenant_id)
    for name, value in filters.items():
        query = query.where(audit_log.c[name] == value)
    if since is not None:
        query = query.where(audit_log.c.at >= since)
    if until is not None:
        query = query.where(audit_log.c.at < until)
    if after is not None:
        query = query.where(tuple_(audit_log.c.at, audit_log.c.id) < tuple_(after.at, after.id))
    query = query.order_by(audit_log.c.at.desc(), audit_log.c.id.desc()).limit(limit)
    return (await conn.execute(query)).all()
