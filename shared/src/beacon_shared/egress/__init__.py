"""The egress guard: every outbound call made on a tenant's behalf goes through it.

https only (unless the deployment allows http for local development), public addresses only
after resolution in every spelling, the connection pinned to the checked address, redirects
re-checked, answers bounded in size and time; URLs checked when stored and again at connect time.
"""

from beacon_shared.egress.addresses import (
    AddressRefused,
    HostUnresolvable,
    IPAddress,
    Resolver,
    non_public_reason,
    resolve_public,
    system_resolver,
)
from beacon_shared.egress.client import egress_client
from beacon_shared.egress.policy import STRICT, EgressPolicy, parse_networks
from beacon_shared.egress.transport import (
    AddressNotPublic,
    EgressRefused,
    EgressTransport,
    ResponseTooLarge,
    SchemeRefused,
)
from beacon_shared.egress.urls import UrlRefused, check_base_url, check_url

__all__ = [
    "STRICT",
    "AddressNotPublic",
    "AddressRefused",
    "EgressPolicy",
    "EgressRefused",
    "EgressTransport",
    "HostUnresolvable",
    "IPAddress",
    "Resolver",
    "ResponseTooLarge",
    "SchemeRefused",
    "UrlRefused",
    "check_base_url",
    "check_url",
    "egress_client",
    "non_public_reason",
    "parse_networks",
    "resolve_public",
    "system_resolver",
]
