"""The service app: problem details for every error, request context, health and metrics."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, Field
from sqlalchemy import text

from beacon_shared.app import create_service_app
from beacon_shared.db import DbSession
from beacon_shared.embedded import free_port
from beacon_shared.errors import NotFound
from beacon_shared.settings import ServiceSettings
from beacon_shared.tracing import current_correlation_id, current_traceparent

pytestmark = [pytest.mark.integration, pytest.mark.kafka]


class WidgetNotFound(NotFound):
    code, title = "widget_not_found", "Widget not found"


class WidgetIn(BaseModel):
    name: str = Field(min_length=1)
    size: int = Field(ge=1)


router = APIRouter()


@router.get("/widgets/{widget_id}")
async def get_widget(widget_id: str) -> dict[str, str]:
    raise WidgetNotFound(f"There is no widget {widget_id}.")


@router.post("/widgets", status_code=201)
async def create_widget(widget: WidgetIn) -> WidgetIn:
    return widget


@router.get("/boom")
async def boom() -> None:
    raise RuntimeError("the database password is hunter2")


@router.get("/stored")
async def stored(session: DbSession) -> dict[str, int]:
    return {"one": int((await session.execute(text("SELECT 1"))).scalar_one())}


@router.get("/divide")
async def divide(session: DbSession) -> None:
    await session.execute(text("SELECT 1 / 0"))


@router.get("/context")
async def context() -> dict[str, str | None]:
    return {
        "correlation_id": current_correlation_id.get(),
        "traceparent": current_traceparent.get(),
    }


def widget_app(settings: ServiceSettings) -> FastAPI:
    return create_service_app(
        settings, title="Widgets", description="A test service.", routers=[router]
    )


async def serve(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    # Starlette re-raises unhandled errors after answering; the client should see the answer.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as http,
    ):
        yield http


@pytest.fixture
async def client(settings: ServiceSettings) -> AsyncIterator[httpx.AsyncClient]:
    async for http in serve(widget_app(settings)):
        yield http


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert body["type"] == f"urn:beacon:problem:{code}"
    assert body["status"] == status
    assert body["code"] == code
    assert body["instance"] == response.request.url.path
    assert isinstance(body["title"], str)
    assert isinstance(body["detail"], str)
    assert body["title"]
    assert body["detail"]
    return body


async def test_a_domain_error_is_rendered_with_its_status_and_code(client: httpx.AsyncClient):
    body = assert_problem(await client.get("/widgets/w-9"), 404, "widget_not_found")

    assert body["title"] == "Widget not found"
    assert body["detail"] == "There is no widget w-9."


async def test_an_unexpected_error_is_a_generic_500_that_leaks_nothing(client: httpx.AsyncClient):
    response = await client.get("/boom")

    body = assert_problem(response, 500, "internal_error")
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    assert "RuntimeError" not in response.text
    assert body["detail"] == "An unexpected error occurred; it has been logged."


async def test_a_request_the_database_cannot_serve_is_a_503_problem_with_retry_after(
    settings_for: Callable[..., ServiceSettings],
):
    # Nothing listens there: the database is down or restarting, as far as the app can tell.
    dead_database = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/beacon"
    settings = settings_for(ServiceSettings, database_url=dead_database)
    async for http in serve(widget_app(settings)):
        response = await http.get("/stored")

        body = assert_problem(response, 503, "database_unavailable")
        assert response.headers["retry-after"] == "2"
        assert "127.0.0.1" not in response.text
        assert body["detail"] == (
            "The database cannot be reached right now; send the request again shortly."
        )


async def test_a_statement_the_database_refuses_is_still_a_500(client: httpx.AsyncClient):
    assert (await client.get("/stored")).json() == {"one": 1}

    response = await client.get("/divide")

    assert_problem(response, 500, "internal_error")
    assert "retry-after" not in response.headers


async def test_an_unknown_route_is_a_404_problem(client: httpx.AsyncClient):
    assert_problem(await client.get("/no/such/route"), 404, "not_found")


async def test_a_wrong_method_is_a_405_problem_naming_the_allowed_ones(client: httpx.AsyncClient):
    response = await client.delete("/widgets")

    assert_problem(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "POST"


async def test_malformed_json_is_a_400_problem(client: httpx.AsyncClient):
    response = await client.post(
        "/widgets", content=b'{"name": "a", ', headers={"content-type": "application/json"}
    )

    assert_problem(response, 400, "malformed_json")


async def test_invalid_fields_are_a_422_problem_with_a_pointer_per_field(
    client: httpx.AsyncClient,
):
    response = await client.post("/widgets", json={"name": "", "size": "large"})

    body = assert_problem(response, 422, "validation_failed")
    errors = body["errors"]
    assert isinstance(errors, list)
    assert {e["pointer"] for e in errors} == {"/name", "/size"}
    assert all(e["location"] == "body" and e["message"] for e in errors)


async def test_missing_fields_are_a_422_problem_pointing_at_them(client: httpx.AsyncClient):
    body = assert_problem(await client.post("/widgets", json={}), 422, "validation_failed")

    assert {e["pointer"] for e in body["errors"]} == {"/name", "/size"}  # type: ignore[attr-defined]


async def test_a_valid_request_still_succeeds(client: httpx.AsyncClient):
    response = await client.post("/widgets", json={"name": "a", "size": 2})

    assert response.status_code == 201
    assert response.json() == {"name": "a", "size": 2}


async def test_a_body_declared_over_the_limit_is_a_413_problem(client: httpx.AsyncClient):
    response = await client.post(
        "/widgets", content=b"x" * 2000, headers={"content-type": "application/json"}
    )

    assert response.request.headers["content-length"] == "2000"
    body = assert_problem(response, 413, "payload_too_large")
    assert "1024" in str(body["detail"])


async def test_a_streamed_body_over_the_limit_is_a_413_problem(client: httpx.AsyncClient):
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "'
        for _ in range(8):
            yield b"x" * 256
        yield b'", "size": 1}'

    response = await client.post(
        "/widgets", content=chunks(), headers={"content-type": "application/json"}
    )

    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert_problem(response, 413, "payload_too_large")


async def test_a_streamed_body_under_the_limit_is_accepted(client: httpx.AsyncClient):
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "a",'
        yield b' "size": 1}'

    response = await client.post(
        "/widgets", content=chunks(), headers={"content-type": "application/json"}
    )

    assert response.status_code == 201


async def test_the_request_id_is_echoed(client: httpx.AsyncClient):
    response = await client.get("/healthz", headers={"X-Request-ID": "req-abc-1"})

    assert response.headers["x-request-id"] == "req-abc-1"


async def test_a_request_id_is_generated_when_none_is_sent(client: httpx.AsyncClient):
    first = await client.get("/healthz")
    second = await client.get("/healthz")

    assert re.fullmatch(r"[0-9a-f]{32}", first.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_errors_carry_the_request_id_too(client: httpx.AsyncClient):
    response = await client.get("/widgets/w-1", headers={"X-Request-ID": "req-abc-2"})

    assert response.status_code == 404
    assert response.headers["x-request-id"] == "req-abc-2"


async def test_a_500_carries_the_request_id(client: httpx.AsyncClient):
    response = await client.get("/boom", headers={"X-Request-ID": "req-abc-3"})

    assert_problem(response, 500, "internal_error")
    assert response.headers["x-request-id"] == "req-abc-3"


async def test_a_nul_character_in_a_json_string_is_a_422_problem(client: httpx.AsyncClient):
    response = await client.post("/widgets", json={"name": "a\x00b", "size": 2})

    body = assert_problem(response, 422, "invalid_character")
    assert "NUL" in body["detail"]


async def test_an_escaped_backslash_before_u0000_is_ordinary_text(client: httpx.AsyncClient):
    response = await client.post("/widgets", json={"name": "a\\u0000b", "size": 2})

    assert response.status_code == 201
    assert response.json()["name"] == "a\\u0000b"


async def test_a_nul_character_in_the_query_is_a_422_problem(client: httpx.AsyncClient):
    assert_problem(await client.get("/widgets/w-1?name=a%00b"), 422, "invalid_character")


async def test_handlers_see_the_callers_correlation_id_and_trace(client: httpx.AsyncClient):
    trace_id = "0af7651916cd43dd8448eb211c80319c"
    response = await client.get(
        "/context",
        headers={
            "X-Correlation-ID": "corr-7",
            "traceparent": f"00-{trace_id}-b7ad6b7169203331-01",
        },
    )

    body = response.json()
    assert body["correlation_id"] == "corr-7"
    assert body["traceparent"].split("-")[1] == trace_id


async def test_the_correlation_id_defaults_to_the_request_id(client: httpx.AsyncClient):
    response = await client.get("/context", headers={"X-Request-ID": "req-abc-3"})

    assert response.json()["correlation_id"] == "req-abc-3"


async def test_healthz_answers_without_touching_the_servers(
    settings_for: Callable[..., ServiceSettings],
):
    closed = f"127.0.0.1:{free_port()}"
    settings = settings_for(ServiceSettings, kafka_bootstrap=closed)
    async for http in serve(widget_app(settings)):
        response = await http.get("/healthz")

        assert response.status_code == 200
        assert response.json() == {"status": "ok"}


async def test_readyz_is_200_when_the_database_and_broker_answer(client: httpx.AsyncClient):
    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "database": True, "broker": True}


async def test_readyz_is_503_when_the_broker_is_unreachable(
    settings_for: Callable[..., ServiceSettings],
):
    settings = settings_for(ServiceSettings, kafka_bootstrap=f"127.0.0.1:{free_port()}")
    async for http in serve(widget_app(settings)):
        response = await http.get("/readyz")

        assert response.status_code == 503
        assert response.json() == {"status": "not_ready", "database": True, "broker": False}


async def test_readyz_is_503_when_the_database_is_unreachable(
    settings_for: Callable[..., ServiceSettings],
):
    dead_database = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/beacon"
    settings = settings_for(ServiceSettings, database_url=dead_database)
    async for http in serve(widget_app(settings)):
        response = await http.get("/readyz")

        assert response.status_code == 503
        assert response.json() == {"status": "not_ready", "database": False, "broker": True}


async def test_metrics_expose_request_durations_by_route_template(client: httpx.AsyncClient):
    await client.get("/widgets/w-metrics")

    response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE beacon_http_request_duration_seconds histogram" in response.text
    assert (
        'beacon_http_request_duration_seconds_count{method="GET",route="/widgets/{widget_id}",'
        'status="404"}' in response.text
    )
    assert "w-metrics" not in response.text
