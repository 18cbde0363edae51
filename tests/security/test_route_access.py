"""Every route that needs an API key, in every service: no key is a 401 problem before anything
else is looked at (body, content type, path), and a key without the route's scope is a 403.

A few routes are opened by no scope, and their OpenAPI operation says so in `x-beacon-access`:
`any-credential` (about the caller itself, `GET /v1/me`) lets every valid key through, and
`signed-in-person` (a member's own personal tokens, accepting an invitation) lets no API key
through at all, only the issuer's access token of a person."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from fastapi import FastAPI

from beacon_shared.auth.keys import SCOPES
from tests.service_apps import SERVICES

pytestmark = pytest.mark.integration

_PARAM = re.compile(r"\{([^}]+)\}")


def keyed_operations(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every operation whose OpenAPI document says it needs an API key."""
    document: dict[str, Any] = app.openapi()
    return sorted(
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if operation.get("security")
    )


def concrete(path: str) -> str:
    """The path with every parameter filled in with something well-formed for any type."""
    return _PARAM.sub(lambda _: str(uuid.uuid4()), path)


@pytest.mark.parametrize("service", list(SERVICES))
async def test_every_keyed_route_refuses_a_request_without_a_key_first(
    service, build_app, api_client
):
    app = build_app(service)
    wrong: list[str] = []
    async with api_client(app) as http:
        operations = keyed_operations(app)
        assert operations, "the document names no keyed operation"
        for method, path in operations:
            # A body that is neither JSON nor of an accepted type: auth must answer first.
            response = await http.request(
                method, concrete(path), content=b"\x00not json", headers={"content-type": "x/y"}
            )
            problem = (
                response.json()
                if response.headers.get("content-type", "").endswith("problem+json")
                else {}
            )
            if (
                response.status_code != 401
                or problem.get("code") != "unauthorized"
                or "www-authenticate" not in response.headers
            ):
                wrong.append(f"{method} {path}: {response.status_code} {problem.get('code')}")
    assert wrong == []


def access(app: FastAPI, method: str, path: str) -> str | None:
    """The operation's `x-beacon-access`: None for a route opened by one scope."""
    operation: dict[str, Any] = app.openapi()["paths"][path][method.lower()]
    return operation.get("x-beacon-access")


def reads(method: str, path: str) -> bool:
    """GETs read; so do dry runs, which POST a rule set to try it and change nothing."""
    return method == "GET" or path.endswith("/dry-run")


@pytest.mark.parametrize("service", list(SERVICES))
async def test_every_keyed_route_is_let_through_by_exactly_one_scope_of_its_kind(
    service, build_app, api_client, issue_api_key, unique
):
    """A key of one scope reaches only its routes; reading never needs more than a read scope
    and nothing that changes state is let through by one."""
    app = build_app(service)
    tenant = unique("tenant")
    keys = {scope: (await issue_api_key(tenant, scopes=(scope,))).key for scope in SCOPES - {"*"}}
    granted: dict[tuple[str, str], set[str]] = {op: set() for op in keyed_operations(app)}
    async with api_client(app) as http:
        for (method, path), scopes in granted.items():
            url = concrete(path)
            for scope, key in keys.items():
                response = await http.request(
                    method,
                    url,
                    content=b"{}",
                    headers={"content-type": "application/json", "authorization": f"Bearer {key}"},
                )
                if response.status_code != 403:
                    scopes.add(scope)
                else:
                    assert response.json()["code"] == "forbidden"
    expected = {
        "any-credential": SCOPES - {"*"},  # every key passes
        "signed-in-person": set(),  # no key passes
    }
    wrong = {
        f"{method} {path}": sorted(scopes)
        for (method, path), scopes in granted.items()
        if (
            scopes != expected[kind]
            if (kind := access(app, method, path))
            else len(scopes) != 1 or next(iter(scopes)).endswith(":read") != reads(method, path)
        )
    }
    assert wrong == {}
