"""The OpenAPI document of a service, completed with the problems every route really answers.

Routes declare what is theirs (a 409, a 415); the statuses the platform itself answers are added
here once: 422 for invalid input, 400 for a malformed JSON body or a bad cursor, 413 for a body
over the limit, 404 where the path names an object, and 401, 403 and 429 where an API key is
required. Every error answer is an `application/problem+json` Problem, and API-key routes name
their security schemes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute, iter_route_contexts

from beacon_shared.errors import PROBLEM_JSON

# The dependencies (from `require_scope`) that authenticate with an API key.
API_KEY_DEPENDENCIES: set[Callable[..., Any]] = set()

_REASONS = {
    400: "Malformed JSON body, or a cursor no page handed out",
    401: "No API key, or an unknown, revoked or expired one",
    403: "The API key lacks the route's scope",
    404: "No such object for this tenant",
    409: "Conflicts with the object's state",
    413: "The body exceeds the size limit",
    415: "Unsupported media type",
    422: "The request is not valid (see `errors`)",
    429: "Too many requests for this API key (see `Retry-After`)",
    503: "Not configured",
}
_PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem document (see docs/errors.md).",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "description": "`urn:beacon:problem:<code>`"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "code": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "pointer": {"type": "string"},
                    "location": {"type": "string"},
                    "type": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
}
_SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "description": "An API key (`bk_…`)."},
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "An API key."},
}
_HEADERS = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}}},
    429: {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
}


def install_openapi(app: FastAPI) -> None:
    """Serve the app's document completed as the module docstring says (built once, on demand)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(FastAPI.openapi(app), app)  # FastAPI's own, then ours
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete(document: dict[str, Any], app: FastAPI) -> dict[str, Any]:
    """Add the platform's problems, the Problem schema and the security schemes to `document`."""
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = _PROBLEM_SCHEMA
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    authenticated = {
        (method.lower(), route.path_format)
        for route in iter_route_contexts(app.routes)
        if isinstance(route.original_route, APIRoute) and _needs_api_key(route.dependant)
        for method in route.methods or ()
    }
    if authenticated:
        components["securitySchemes"] = _SECURITY_SCHEMES
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            statuses = {422}
            has_body = "requestBody" in operation
            parameters = operation.get("parameters", [])
            if has_body:
                statuses |= {400, 413}
            if any(p.get("in") == "query" and p.get("name") == "cursor" for p in parameters):
                statuses.add(400)
            if any(p.get("in") == "path" for p in parameters):
                statuses.add(404)
            if (method, path) in authenticated:
                statuses |= {401, 403, 429}
                operation["security"] = [{"bearer": []}, {"apiKey": []}]
            responses = operation.setdefault("responses", {})
            for status in statuses:
                responses.setdefault(str(status), {})
            for status, response in responses.items():
                if status.isdigit() and int(status) >= 400:
                    _as_problem(int(status), response)
    return document


async def refuse_repeated_query_parameters(request: Request) -> None:
    """A query parameter the document says is one value, sent more than once, is a 422.

    Otherwise the last value would silently win, and the caller would never learn that the
    others were ignored.
    """
    route = request.scope.get("route")
    path = getattr(route, "path_format", None)
    if path is None or len(request.query_params.multi_items()) < 2:
        return
    single = _single_valued(request.app).get((request.method.lower(), path), frozenset())
    repeated = [name for name in single if len(request.query_params.getlist(name)) > 1]
    if repeated:
        raise RequestValidationError(
            [
                {
                    "type": "repeated_parameter",
                    "loc": ("query", name),
                    "msg": "Input should be given once",
                    "input": request.query_params.getlist(name),
                }
                for name in sorted(repeated)
            ]
        )


def _single_valued(app: FastAPI) -> dict[tuple[str, str], frozenset[str]]:
    cached: dict[tuple[str, str], frozenset[str]] | None = getattr(
        app.state, "single_valued_query", None
    )
    if cached is None:
        cached = {
            (method, path): frozenset(
                p["name"]
                for p in operation.get("parameters", [])
                if p.get("in") == "query" and not _is_array(p.get("schema", {}))
            )
            for path, operations in app.openapi().get("paths", {}).items()
            for method, operation in operations.items()
        }
        app.state.single_valued_query = cached
    return cached


def _is_array(schema: dict[str, Any]) -> bool:
    if schema.get("type") == "array":
        return True
    return any(_is_array(option) for option in schema.get("anyOf", []))


def _as_problem(status: int, response: dict[str, Any]) -> None:
    described = response.get("description")
    if described in (None, "", "Validation Error", _default_description(status)):
        response["description"] = _REASONS.get(status, "A problem")
    response["content"] = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    if status in _HEADERS:
        response.setdefault("headers", {}).update(_HEADERS[status])


def _default_description(status: int) -> str:
    return HTTPStatus(status).phrase


def _needs_api_key(dependant: Dependant) -> bool:
    return any(dep.call in API_KEY_DEPENDENCIES for dep in _walk(dependant))


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    for dep in dependant.dependencies:
        yield dep
        yield from _walk(dep)
