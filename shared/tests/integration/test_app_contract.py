"""What every service app promises whatever its routes: bounded input refused as problems, true
405s, and an OpenAPI document that declares the problems the platform answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Query
from pydantic import BaseModel, Field

from beacon_shared.app import create_service_app
from beacon_shared.auth import Principal, require_scope
from beacon_shared.bounds import Int32, Timestamp
from beacon_shared.pagination import Cursor
from beacon_shared.settings import ServiceSettings

pytestmark = [pytest.mark.integration, pytest.mark.kafka]

Reader = Annotated[Principal, Depends(require_scope("posts:read"))]


class GadgetQuery(BaseModel):
    brand_id: str | None = Field(default=None, max_length=64)
    tag: list[str] = Field(default_factory=list, max_length=5)
    since: Timestamp | None = None
    min_size: Int32 | None = None
    cursor: str | None = Field(default=None, max_length=512)


class GadgetIn(BaseModel):
    name: str = Field(max_length=64)
    made_at: Timestamp


router = APIRouter(prefix="/gadgets")


@router.get("")
async def list_gadgets(query: Annotated[GadgetQuery, Query()]) -> dict[str, object]:
    after = Cursor.decode(query.cursor) if query.cursor else None
    return {"brand_id": query.brand_id, "tags": query.tag, "after": after is not None}


@router.post("", status_code=201)
async def create_gadget(gadget: GadgetIn) -> GadgetIn:
    return gadget


@router.post("/batch", status_code=201)
async def create_gadgets(gadgets: list[GadgetIn]) -> int:
    return len(gadgets)


@router.get("/{gadget_id}")
async def get_gadget(gadget_id: UUID, principal: Reader) -> str:
    return str(gadget_id)


@router.delete("/{gadget_id}", status_code=204)
async def delete_gadget(gadget_id: UUID, principal: Reader) -> None:
    return None


@pytest.fixture
async def app(settings: ServiceSettings) -> FastAPI:
    return create_service_app(settings, title="Gadgets", description="A test.", routers=[router])


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as http,
    ):
        yield http


@pytest.fixture
async def key(issue_api_key, unique) -> dict[str, str]:
    issued = await issue_api_key(unique("tenant"), scopes=("posts:read",))
    return {"Authorization": f"Bearer {issued.key}"}


def problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert body["code"] == code
    return body


class TestBoundedInput:
    async def test_a_timestamp_python_cannot_convert_to_utc_is_a_422_problem(self, client):
        response = await client.get("/gadgets", params={"since": "0001-01-01T00:00:00+01:00"})

        body = problem(response, 422, "validation_failed")
        assert body["errors"] == [
            {
                "pointer": "/query/since",
                "location": "query",
                "type": "timestamp_out_of_range",
                "message": "Input should be at or after 1970-01-01T00:00:00Z and before "
                "3000-01-01T00:00:00Z",
            }
        ]

    async def test_a_timestamp_in_a_body_past_the_year_2999_is_a_422_problem(self, client):
        response = await client.post(
            "/gadgets", json={"name": "a", "made_at": "9999-12-31T23:59:59-01:00"}
        )

        body = problem(response, 422, "validation_failed")
        assert body["errors"][0]["pointer"] == "/made_at"  # type: ignore[index]

    async def test_an_integer_past_its_column_is_a_422_problem(self, client):
        response = await client.get("/gadgets", params={"min_size": str(2**31)})

        body = problem(response, 422, "validation_failed")
        assert body["errors"][0]["type"] == "less_than_equal"  # type: ignore[index]

    async def test_a_forged_cursor_is_a_400_problem(self, client):
        forged = Cursor(datetime.now(UTC), UUID(int=1)).encode() + "A"

        problem(await client.get("/gadgets", params={"cursor": forged}), 400, "invalid_cursor")

    async def test_a_cursor_a_page_handed_out_is_taken(self, client):
        cursor = Cursor(datetime.now(UTC), UUID(int=1)).encode()

        response = await client.get("/gadgets", params={"cursor": cursor})
        assert response.status_code == 200
        assert response.json()["after"] is True

    async def test_a_single_valued_parameter_sent_twice_is_a_422_problem(self, client):
        response = await client.get("/gadgets?brand_id=a&brand_id=b")

        body = problem(response, 422, "validation_failed")
        assert body["errors"][0]["pointer"] == "/query/brand_id"  # type: ignore[index]
        assert body["errors"][0]["type"] == "repeated_parameter"  # type: ignore[index]

    async def test_a_list_parameter_may_be_repeated(self, client):
        response = await client.get("/gadgets?tag=a&tag=b&brand_id=c")

        assert response.status_code == 200
        assert response.json() == {"brand_id": "c", "tags": ["a", "b"], "after": False}


class TestMethodNotAllowed:
    async def test_a_405_names_the_methods_of_every_route_at_the_path(self, client):
        response = await client.put("/gadgets")

        problem(response, 405, "method_not_allowed")
        assert response.headers["allow"] == "GET, POST"

    async def test_a_path_another_route_reads_as_an_id_is_still_a_405(self, client, key):
        # GET /gadgets/{gadget_id} would take "batch" for an id, and answer a 422.
        response = await client.get("/gadgets/batch", headers=key)

        problem(response, 405, "method_not_allowed")
        assert response.headers["allow"] == "POST"

    async def test_a_405_at_a_path_an_id_route_also_matches_names_the_literal_routes_only(
        self, client
    ):
        response = await client.put("/gadgets/batch")

        problem(response, 405, "method_not_allowed")
        assert response.headers["allow"] == "POST"

    async def test_a_malformed_id_on_a_path_of_its_own_is_still_a_422(self, client, key):
        response = await client.get("/gadgets/not-a-uuid", headers=key)

        problem(response, 422, "validation_failed")


class TestOpenApi:
    @pytest.fixture
    def document(self, app: FastAPI) -> dict[str, object]:
        return app.openapi()

    def test_errors_are_problem_documents(self, document):
        responses = document["paths"]["/gadgets"]["post"]["responses"]
        assert responses["422"]["content"] == {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }
        assert "HTTPValidationError" not in document["components"]["schemas"]
        assert "Problem" in document["components"]["schemas"]

    def test_a_body_may_be_malformed_or_too_large(self, document):
        assert {"400", "413", "422"} <= set(document["paths"]["/gadgets"]["post"]["responses"])

    def test_a_list_with_a_cursor_may_answer_400_and_needs_no_key(self, document):
        operation = document["paths"]["/gadgets"]["get"]
        assert {"400", "422"} <= set(operation["responses"])
        assert not {"401", "403", "429"} & set(operation["responses"])
        assert "security" not in operation

    def test_a_route_with_an_api_key_declares_its_security_and_refusals(self, document):
        operation = document["paths"]["/gadgets/{gadget_id}"]["get"]
        assert {"401", "403", "404", "422", "429"} <= set(operation["responses"])
        assert operation["security"] == [{"bearer": []}, {"apiKey": []}]
        assert "Retry-After" in operation["responses"]["429"]["headers"]
        assert set(document["components"]["securitySchemes"]) == {"bearer", "apiKey"}

    def test_bounds_are_visible(self, document):
        parameters = {p["name"]: p for p in document["paths"]["/gadgets"]["get"]["parameters"]}
        since = parameters["since"]["schema"]["anyOf"][0]
        assert since["formatMinimum"] == "1970-01-01T00:00:00Z"
        assert parameters["min_size"]["schema"]["anyOf"][0]["maximum"] == 2**31 - 1
