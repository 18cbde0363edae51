"""Each service's OpenAPI document, fuzzed in-process with real API keys on the test database.

Schemathesis generates valid and invalid requests for every operation and runs all its checks on
the answers: no server error, only documented statuses, content types and headers, invalid input
refused, 405s with a true `Allow`. The example count is small enough for CI; `make fuzz` raises it.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, BaseSchema, Case, GenerationMode
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.python import asgi

from tests.service_apps import SERVICES

pytestmark = pytest.mark.integration

EXAMPLES = int(os.environ.get("BEACON_FUZZ_EXAMPLES", "8"))

# What a schema cannot say: business rules across fields (409, 422), and cursors, which only a
# previous page can hand out (400). Every other status fails the positive-data check.
CHECKS = {
    "positive_data_acceptance": {
        "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "422", "429"]
    },
    # A body over the size limit is refused before it is read: 413.
    "negative_data_rejection": {
        "expected-statuses": [
            *("400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428"),
            "429",
        ]
    },
}


def config_for(key: str) -> schemathesis.Config:
    """Every check on, and the key as the document's bearer scheme: schemathesis then sends it,
    and leaves it out to check that the route refuses a request without it."""
    return schemathesis.Config.from_dict(
        {"checks": CHECKS, "auth": {"openapi": {"bearer": {"bearer": key}}}}
    )


@pytest.fixture(params=sorted(SERVICES))
async def service_schema(request, settings_for, issue_api_key, unique):
    """A service's app behind its OpenAPI document, and the key of a fresh tenant."""
    service = SERVICES[request.param]
    issued = await issue_api_key(unique("fuzz"))
    app = service.create_app(
        settings_for(service.settings, api_rate_limit_per_minute=10**9, **service.overrides)
    )
    yield schemathesis.openapi.from_asgi("/openapi.json", app, config=config_for(issued.key))
    asgi.shutdown_lifespans()


@dataclass
class Findings:
    """What a run found: cases sent, and one line per distinct (operation, failure) with a repro."""

    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: dict[tuple[str, str], str] = field(default_factory=dict)

    def add(self, operation: str, failure: Failure, case: Case) -> None:
        key = (operation, f"{failure.code} {failure.title}")
        curl = case.as_curl_command()
        why = " ".join(line.strip() for line in failure.message.splitlines() if line.strip())
        self.failures.setdefault(key, f"{why[:300]}\n    {curl[:400]}{'…' * (len(curl) > 400)}")

    def report(self) -> str:
        return "\n".join(f"{op}: {what}\n    {curl}" for (op, what), curl in self.failures.items())


def fuzz(schema: BaseSchema, *, examples: int) -> Findings:
    """Each operation's valid then invalid cases, every check on each; what failed, not stopping."""
    found = Findings()
    for result in schema.get_all_operations():
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _cases(result.ok(), mode, examples, found)()
            except Unsatisfiable:  # no invalid request exists (an operation without inputs)
                continue
    return found


def _cases(
    operation: APIOperation,
    mode: GenerationMode,
    examples: int,
    found: Findings,
) -> Callable[[], None]:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        derandomize=True,  # the same cases on every run: a fixed seed
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Case) -> None:
        found.cases += 1
        try:
            found.statuses[case.call_and_validate().status_code] += 1
        except FailureGroup as group:
            for failure in group.exceptions:
                found.add(operation.label, failure, case)
        except Failure as failure:
            found.add(operation.label, failure, case)

    return run


def test_every_generated_request_gets_a_documented_answer_and_no_server_error(service_schema):
    found = fuzz(service_schema, examples=EXAMPLES)
    print(found.cases, "cases", sorted(found.statuses.items()), len(found.failures), "failures")  # noqa: T201
    assert not found.failures, found.report()
    # The run reached the routes' logic: the key was taken and valid requests were served.
    assert sum(n for status, n in found.statuses.items() if 200 <= status < 300) > 0


METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_a_method_a_path_does_not_document_is_a_405_listing_those_it_does(
    service, settings_for, api_client, issue_api_key, unique
):
    built = SERVICES[service]
    issued = await issue_api_key(unique("fuzz"))
    app = built.create_app(settings_for(built.settings, **built.overrides))
    wrong: list[str] = []
    async with api_client(app, key=issued.key) as http:
        for path, operations in app.openapi()["paths"].items():
            documented = {method.upper() for method in operations}
            url = re.sub(r"\{[^}]+\}", "1", path)
            for method in sorted(METHODS - documented):
                response = await http.request(method, url)
                allowed = set(response.headers.get("allow", "").split(", ")) - {"HEAD", ""}
                if response.status_code != 405 or allowed != documented:
                    wrong.append(f"{method} {path}: {response.status_code}, Allow {allowed}")
    assert not wrong, "\n".join(wrong)
