"""What the egress guard lets through: the deployment's choice, read once from settings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from ipaddress import ip_network

from beacon_shared.egress.addresses import IPNetwork

DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024
DEFAULT_DEADLINE_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class EgressPolicy:
    """https to public addresses only, unless an operator allows more for local development.

    `allowed_networks` lists non-public ranges that may be reached anyway (a private Mastodon
    instance, or 127.0.0.0/8 for local fakes); `max_response_bytes` and `deadline_seconds` bound
    each answer whatever the caller's own timeouts.
    """

    allow_http: bool = False
    allowed_networks: tuple[IPNetwork, ...] = field(default_factory=tuple)
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    deadline_seconds: float = DEFAULT_DEADLINE_SECONDS

    @property
    def schemes(self) -> tuple[str, ...]:
        """The URL schemes calls may use."""
        return ("https", "http") if self.allow_http else ("https",)


# As deployed by default: https, public hosts only.
STRICT = EgressPolicy()


def parse_networks(value: str | Sequence[str]) -> tuple[IPNetwork, ...]:
    """CIDR ranges from a comma-separated setting (or a list); ValueError names a bad one."""
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(ip_network(item.strip(), strict=False) for item in items if item.strip())
