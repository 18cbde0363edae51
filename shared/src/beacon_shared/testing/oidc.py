"""The local OpenID Connect issuer in tests: started for a block, or the test skipped with the
reason when Node.js or its packages are missing."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import pytest

from beacon_shared.embedded_oidc import IssuerUnavailable, LocalIssuer, start_issuer


@contextlib.contextmanager
def running_issuer(users: Sequence[dict[str, str]], **options: object) -> Iterator[LocalIssuer]:
    """node-oidc-provider with `users` (any password) until the block ends."""
    try:
        running = start_issuer(users=users, **options)  # type: ignore[arg-type]
    except IssuerUnavailable as exc:
        pytest.skip(str(exc))
    try:
        yield running
    finally:
        running.stop()
