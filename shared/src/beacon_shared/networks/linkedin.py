"""LinkedIn's versioned REST API: the root URL, the bearer token with the version and Rest.li
protocol headers every /rest call names, and how an error answer maps onto the shared failures.

Versioning: https://learn.microsoft.com/linkedin/marketing/versioning
Rest.li protocol: https://learn.microsoft.com/linkedin/shared/api-guide/concepts/protocol-version
Errors: https://learn.microsoft.com/linkedin/shared/api-guide/concepts/error-handling
Rate limits: https://learn.microsoft.com/linkedin/shared/api-guide/concepts/rate-limits
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from beacon_shared.contracts.common import Network
from beacon_shared.network_calls import for_status, json_object, send

DEFAULT_BASE_URL = "https://api.linkedin.com"
# A monthly version, supported for at least a year after its release.
DEFAULT_VERSION = "202607"
RESTLI_PROTOCOL_VERSION = "2.0.0"
_VERSION = re.compile(r"\d{6}(\.\d{2})?")


def check_version(version: str) -> str:
    """`version` if it is a LinkedIn API version (YYYYMM, or YYYYMM.RR); ValueError if not."""
    if not _VERSION.fullmatch(version):
        raise ValueError("version must be a LinkedIn API version: YYYYMM")
    return version


def rest_headers(token: str, version: str) -> dict[str, str]:
    """The headers of a call to the versioned REST API (/rest/...)."""
    return {
        "Authorization": f"Bearer {token}",
        "Linkedin-Version": version,
        "X-Restli-Protocol-Version": RESTLI_PROTOCOL_VERSION,
    }


def message(response: httpx.Response) -> str | None:
    """The `message` of an error answer."""
    said = json_object(response).get("message")
    return str(said)[:300] if said else None


def raise_for_answer(response: httpx.Response, *, creates: bool, now: datetime) -> None:
    """Raise what a non-2xx LinkedIn answer means. LinkedIn sends no rate-limit reset header: a
    429 waits only for a Retry-After it may send.

    `creates` marks a request that makes a post or comment: a 504 leaves its outcome unknown.
    """
    if response.is_success:
        return
    for_status(
        response, network=Network.linkedin.value, creates=creates, now=now, detail=message(response)
    )


class LinkedInApi:
    """Calls to LinkedIn's API in one version, through the client it is given."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str = DEFAULT_BASE_URL,
        version: str = DEFAULT_VERSION,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.base = base_url.rstrip("/")
        self.version = check_version(version)
        self._http = http
        self._clock = clock

    async def request(
        self,
        method: str,
        url: str,
        *,
        token: str,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """One request: a /rest path on the API, with the version headers, or an upload URL
        LinkedIn gave, with the token only. The answer as it came."""
        if url.startswith("/rest/"):
            sent = rest_headers(token, self.version)
            url = f"{self.base}{url}"
        else:
            sent = {"Authorization": f"Bearer {token}"}
        return await send(self._http, method, url, headers=sent | (headers or {}), **kwargs)

    async def call(
        self, method: str, url: str, *, token: str, creates: bool, **kwargs: Any
    ) -> httpx.Response:
        """One request whose non-2xx answer is raised as what it means; the answer."""
        response = await self.request(method, url, token=token, **kwargs)
        raise_for_answer(response, creates=creates, now=self._clock())
        return response
