"""The FastAPI application every service builds: middleware, errors, auth, health, metrics."""

from __future__ import annotations

import contextlib
import gc
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence

import structlog
from fastapi import APIRouter, Depends, FastAPI, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from beacon_shared.audit import AuditMiddleware
from beacon_shared.auth import ApiKeyVerifier
from beacon_shared.auth.brands import BrandDirectory
from beacon_shared.auth.signin import SignIn
from beacon_shared.db import create_engine, create_sessionmaker, database_unavailable
from beacon_shared.errors import (
    RequestGuardMiddleware,
    install_problem_handlers,
    internal_error_response,
    problem_response,
)
from beacon_shared.health import BrokerProbe
from beacon_shared.health import router as health_router
from beacon_shared.logging import configure_logging, get_logger
from beacon_shared.metrics import HTTP_REQUESTS
from beacon_shared.openapi import install_openapi, refuse_repeated_query_parameters
from beacon_shared.settings import ServiceSettings
from beacon_shared.tracing import (
    SpanKind,
    child_traceparent,
    configure_tracing,
    current_correlation_id,
    current_traceparent,
    mark_failed,
    shutdown_tracing,
    start_span,
    trace_id_of,
    traceparent_of,
)

log = get_logger("beacon.http")
# Seconds a client is asked to wait when the database cannot be reached: about what a restart
# or a failover takes.
DATABASE_RETRY_AFTER_SECONDS = 2
Lifespan = Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]]


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    lifespan: Lifespan | None = None,
    version: str = "0.1.0",
    raw_body_paths: Sequence[str] = (),
) -> FastAPI:
    """A service's app; `lifespan` adds the service's own clients after the shared ones.

    Routes under `raw_body_paths` get their JSON bodies unchecked for NUL characters.
    """

    @contextlib.asynccontextmanager
    async def shared_lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(fmt=settings.log_format, level=settings.log_level)
        exporting = configure_tracing(settings.service_name)
        engine = create_engine(
            settings.database_url, pool_size=settings.db_pool_size, app_name=settings.service_name
        )
        app.state.settings = settings
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        app.state.api_keys = ApiKeyVerifier(engine, cache_seconds=settings.api_key_cache_seconds)
        app.state.sign_in = SignIn.from_settings(settings, engine)
        app.state.brands = BrandDirectory(engine, cache_seconds=settings.api_key_cache_seconds)
        app.state.broker_probe = BrokerProbe(settings.kafka_bootstrap)
        try:
            async with lifespan(app) if lifespan else contextlib.nullcontext():
                _freeze_startup_objects()
                yield
        finally:
            await app.state.broker_probe.close()
            if app.state.sign_in is not None:
                await app.state.sign_in.aclose()
            await engine.dispose()
            if exporting:
                shutdown_tracing()

    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=shared_lifespan,
        # Metrics go to Prometheus and trace ids to logs and events (see RequestContextMiddleware);
        # FastAPI's own OpenTelemetry probe would otherwise look for providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
        dependencies=[Depends(refuse_repeated_query_parameters)],
    )
    install_problem_handlers(app)
    install_openapi(app)
    for router in routers:  # matched in this order: the service's own traffic first
        app.include_router(router)
    app.include_router(health_router)
    app.add_middleware(AuditMiddleware, service=settings.service_name)
    app.add_middleware(RequestContextMiddleware, log_requests=settings.log_requests)
    app.add_middleware(
        RequestGuardMiddleware, max_bytes=settings.max_body_bytes, raw_body_paths=raw_body_paths
    )
    return app


def _freeze_startup_objects() -> None:
    """Keep what start-up built out of later full collections.

    Those objects live as long as the process; scanning them again in every generation-2
    collection paused a busy ingest worker for tens of milliseconds each time.
    """
    gc.collect()
    gc.freeze()


def database_unavailable_response(request: Request) -> Response:
    """The 503 for a request the database could not serve (down, restarting, out of
    connections): nothing was stored, and the client may send it again after `Retry-After`."""
    return problem_response(
        request,
        status=503,
        code="database_unavailable",
        title="Service unavailable",
        detail="The database cannot be reached right now; send the request again shortly.",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
    )


class RequestContextMiddleware:
    """Binds request, correlation and trace ids to logs and events; records request metrics."""

    def __init__(self, app: ASGIApp, *, log_requests: bool = True) -> None:
        self.app = app
        self.log_requests = log_requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        request_id = headers.get("x-request-id") or uuid.uuid4().hex
        span = start_span(
            f"{scope['method']} {scope['path']}",
            kind=SpanKind.SERVER,
            parent=headers.get("traceparent"),
            attributes={"http.request.method": scope["method"], "url.path": scope["path"]},
        )
        traceparent = (
            child_traceparent(headers.get("traceparent")) if span is None else traceparent_of(span)
        )
        structlog.contextvars.clear_contextvars()
        correlation_id = headers.get("x-correlation-id") or request_id
        structlog.contextvars.bind_contextvars(
            request_id=request_id, correlation_id=correlation_id, trace_id=trace_id_of(traceparent)
        )
        token = current_traceparent.set(traceparent)
        correlation_token = current_correlation_id.set(correlation_id)
        status = 500
        response_started = False
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"].append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if response_started:  # nothing more can be sent
                log.exception("http.unhandled_error", path=scope["path"])
                raise
            if database_unavailable(exc):
                # Nothing was stored: the client may send the same request again shortly.
                log.warning("http.database_unavailable", path=scope["path"], error=repr(exc))
                failed = database_unavailable_response(Request(scope))
            else:
                log.exception("http.unhandled_error", path=scope["path"])
                failed = internal_error_response(Request(scope))
            await failed(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            HTTP_REQUESTS.labels(scope["method"], path, str(status)).observe(elapsed)
            if span is not None:
                # Named after the route template, known only once routed: low cardinality.
                span.update_name(f"{scope['method']} {path}")
                span.set_attribute("http.route", path)
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    mark_failed(span, f"HTTP {status}")
                span.end()
            if self.log_requests and path not in ("/healthz", "/readyz", "/metrics"):
                log.info(
                    "http.request",
                    method=scope["method"],
                    path=scope["path"],
                    status=status,
                    duration_ms=round(elapsed * 1000, 2),
                )
            current_traceparent.reset(token)
            current_correlation_id.reset(correlation_token)
