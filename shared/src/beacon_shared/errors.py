"""Domain errors and their RFC 9457 problem-details rendering, 422s and 500s included."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from beacon_shared.logging import get_logger

PROBLEM_JSON = "application/problem+json"
log = get_logger(__name__)


class DomainError(Exception):
    """Base of every error a service raises on purpose; rendered as a problem document."""

    status: int = 400
    code: str = "bad_request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Sequence[Mapping[str, object]] = (),
        headers: Mapping[str, str] | None = None,
    ):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = list(errors)
        # Sent with the problem document (e.g. WWW-Authenticate, Retry-After).
        self.headers: dict[str, str] = dict(headers or {})


class NotFound(DomainError):
    status, code, title = 404, "not_found", "Not found"


class Conflict(DomainError):
    status, code, title = 409, "conflict", "Conflict"


class Unauthorized(DomainError):
    status, code, title = 401, "unauthorized", "Missing or invalid credentials"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail)
        self.headers = {"WWW-Authenticate": 'Bearer realm="beacon"'}


class Forbidden(DomainError):
    status, code, title = 403, "forbidden", "Not allowed"


class RateLimited(DomainError):
    """Too many requests; the client may try again after `retry_after` (whole seconds, >= 1)."""

    status, code, title = 429, "rate_limited", "Too many requests"

    def __init__(
        self,
        detail: str | None = None,
        *,
        retry_after: int,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail, headers=headers)
        self.retry_after = max(1, retry_after)
        self.headers["Retry-After"] = str(self.retry_after)


class PayloadTooLarge(DomainError):
    status, code, title = 413, "payload_too_large", "Request body too large"


class InvalidInput(DomainError):
    status, code, title = 422, "validation_failed", "The request is not valid"


def problem_type(code: str) -> str:
    """The problem `type` URI for an error code (documented in docs/errors.md)."""
    return f"urn:beacon:problem:{code}"


def problem_response(
    request: Request | None,
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    errors: Sequence[Mapping[str, object]] = (),
    headers: Mapping[str, str] | None = None,
) -> Response:
    """An `application/problem+json` response."""
    body: dict[str, Any] = {
        "type": problem_type(code),
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if request is not None:
        body["instance"] = request.url.path
    if errors:
        body["errors"] = list(errors)
    return Response(
        orjson.dumps(body), status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


_STATUS_CODES = {
    400: ("bad_request", "Bad request"),
    401: ("unauthorized", "Missing or invalid credentials"),
    403: ("forbidden", "Not allowed"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    406: ("not_acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    413: ("payload_too_large", "Request body too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
    429: ("rate_limited", "Too many requests"),
}


def _validation_errors(exc: RequestValidationError) -> tuple[str, str, list[dict[str, object]]]:
    errors: list[dict[str, object]] = []
    malformed = False
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            malformed = True
        loc = [str(p) for p in err.get("loc", ())]
        errors.append(
            {
                "pointer": "/" + "/".join(loc[1:]) if loc[:1] == ["body"] else "/" + "/".join(loc),
                "location": loc[0] if loc else "body",
                "type": err.get("type", "invalid"),
                "message": err.get("msg", "invalid value"),
            }
        )
    if malformed:
        return "malformed_json", "The request body is not valid JSON", errors
    return "validation_failed", "The request is not valid", errors


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at the request's path.

    Starlette's own 405 names only the first route whose path matched, so a path served by two
    routes (GET by one, POST by another) would advertise half of its methods.
    """
    routes = _routes_at(request)
    # `/items/batch` is the batch's path even though `/items/{id}` matches it too: the routes
    # reading the most segments literally (the fewest parameters) own the path.
    fewest = min((len(params) for _, params in routes), default=0)
    return sorted({m for methods, params in routes if len(params) == fewest for m in methods})


def _literal_path_methods(request: Request, exc: RequestValidationError) -> list[str]:
    """The methods of routes that read the path segment a failed path parameter took literally.

    Empty when no path parameter failed or no other route serves that path.
    """
    failed = {
        str(err["loc"][1])
        for err in exc.errors()
        if len(err.get("loc", ())) > 1 and err["loc"][0] == "path"
    }
    if not failed:
        return []
    return sorted(
        {m for methods, params in _routes_at(request) if not failed & params for m in methods}
    )


def _routes_at(request: Request) -> list[tuple[set[str], set[str]]]:
    """(methods, path parameter names) of each route whose path matches the request's."""
    found = []
    for route in iter_route_contexts(request.app.routes):
        if route.path and route.methods:
            matched = _path_regex(route.path).match(request.scope["path"])
            if matched:
                found.append((set(route.methods), set(matched.groupdict())))
    return found


@functools.cache
def _path_regex(path: str) -> re.Pattern[str]:
    return compile_path(path)[0]


def internal_error_response(request: Request) -> Response:
    """The generic 500: the body says nothing of the cause, which only the log holds."""
    return problem_response(
        request,
        status=500,
        code="internal_error",
        title="Internal server error",
        detail="An unexpected error occurred; it has been logged.",
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Render domain, validation and HTTP errors as RFC 9457 problem details.

    Unexpected exceptions are rendered by the request-context middleware, inside the layer that
    adds the request id, so a 500 carries it too.
    """

    async def domain(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DomainError)
        return problem_response(
            request,
            status=exc.status,
            code=exc.code,
            title=exc.title,
            detail=exc.detail,
            errors=exc.errors,
            headers=exc.headers or None,
        )

    async def validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        literal = _literal_path_methods(request, exc)
        if literal:
            # `GET /items/batch` parsed as `GET /items/{id}`: the path is a resource of its own.
            return problem_response(
                request,
                status=405,
                code="method_not_allowed",
                title="Method not allowed",
                detail="Method Not Allowed",
                headers={"Allow": ", ".join(literal)},
            )
        code, title, errors = _validation_errors(exc)
        status = 400 if code == "malformed_json" else 422
        detail = f"{len(errors)} field(s) failed validation" if status == 422 else title
        return problem_response(
            request, status=status, code=code, title=title, detail=detail, errors=errors
        )

    async def http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if isinstance(exc, ProblemException):
            return await domain(request, exc.error)
        code, title = _STATUS_CODES.get(exc.status_code, ("http_error", "HTTP error"))
        detail = exc.detail if isinstance(exc.detail, str) else title
        headers = exc.headers
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
        return problem_response(
            request,
            status=exc.status_code,
            code=code,
            title=title,
            detail=detail,
            headers=headers,
        )

    app.add_exception_handler(DomainError, domain)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(StarletteHTTPException, http)


class InvalidCharacter(DomainError):
    status, code, title = 422, "invalid_character", "The request contains a NUL character"


class ProblemException(StarletteHTTPException):
    """Carries a DomainError out of body parsing, where only HTTPExceptions pass through."""

    def __init__(self, error: DomainError) -> None:
        super().__init__(error.status, error.detail)
        self.error = error


# A JSON `\u0000` escape not itself escaped: PostgreSQL text and jsonb cannot store U+0000.
_JSON_NUL = re.compile(rb"(?<!\\)((?:\\\\)*)\\u0000")


def without_json_nul(body: bytes) -> bytes:
    """The JSON body with its U+0000 escapes removed, for routes that must accept what they get."""
    if b"\\u0000" not in body:  # the usual case, without running the expression
        return body
    return _JSON_NUL.sub(rb"\1", body)


class RequestGuardMiddleware:
    """Refuse, before any handler runs, what no handler could store.

    Bodies over `max_bytes` (declared or streamed) get a 413; a U+0000 in the query or in a JSON
    body gets a 422, since PostgreSQL would reject it mid-transaction. Routes under
    `raw_body_paths` read and clean their bodies themselves (webhooks must acknowledge what a
    network sends), so only the size limit applies to their bodies.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, raw_body_paths: Sequence[str] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.raw_body_paths = tuple(raw_body_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(scope, receive, send, self._too_large())
            return
        if b"%00" in scope.get("query_string", b"") or "\x00" in scope.get("path", ""):
            await self._reject(scope, receive, send, self._nul("the query or path"))
            return
        path: str = scope.get("path", "")
        check_body = b"json" in (_header(scope, b"content-type") or b"") and not any(
            path.startswith(prefix) for prefix in self.raw_body_paths
        )
        body = bytearray()

        async def guarded_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                body.extend(message.get("body", b""))
                if len(body) > self.max_bytes:
                    raise ProblemException(self._too_large())
                if check_body and not message.get("more_body") and _JSON_NUL.search(body):
                    raise ProblemException(self._nul("a string of the body"))
            return message

        await self.app(scope, guarded_receive, send)

    def _too_large(self) -> DomainError:
        return PayloadTooLarge(f"The body exceeds the limit of {self.max_bytes} bytes.")

    @staticmethod
    def _nul(where: str) -> DomainError:
        return InvalidCharacter(f"U+0000 (NUL) is not allowed in {where}.")

    async def _reject(self, scope: Scope, receive: Receive, send: Send, error: DomainError) -> None:
        response = problem_response(
            Request(scope),
            status=error.status,
            code=error.code,
            title=error.title,
            detail=error.detail,
        )
        await response(scope, receive, send)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return None
