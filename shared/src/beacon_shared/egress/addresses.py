"""Which addresses and host names a call on a tenant's behalf may reach: public ones only."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Sequence
from ipaddress import (
    IPv4Address,
    IPv4Network,
    IPv6Address,
    IPv6Network,
    ip_address,
    ip_network,
)

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network

Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""Resolves `(host, port)` to every address the host has, as strings."""

# Names that reach the machine itself or a cloud metadata service without needing DNS to say so.
_REFUSED_NAMES = frozenset(
    {
        "localhost",
        "metadata",
        "metadata.google.internal",
        "metadata.azure.internal",
        "instance-data",
        "instance-data.ec2.internal",
    }
)
# Special-use suffixes (RFC 6761 .localhost, mDNS .local, RFC 8375 home.arpa, ICANN's .internal).
_REFUSED_SUFFIXES = (".localhost", ".local", ".localdomain", ".internal", ".lan", ".home.arpa")

# Ranges `is_global` misses on some Python versions, or that embed an IPv4 address we must judge.
_SHARED_V4 = ip_network("100.64.0.0/10")
_METADATA = frozenset({ip_address("169.254.169.254"), ip_address("fd00:ec2::254")})
_V4_COMPATIBLE = ip_network("::/96")
_NAT64_WELL_KNOWN = ip_network("64:ff9b::/96")
_NAT64_LOCAL = ip_network("64:ff9b:1::/48")


class AddressRefused(Exception):
    """A host the guard will not connect to; `reason` says why, for people."""

    def __init__(self, host: str, reason: str, address: str | None = None) -> None:
        super().__init__(f"the host {host!r} is not on the public internet ({reason})")
        self.host = host
        self.reason = reason
        # Kept for logs, never shown: an error must not say what internal names resolve to.
        self.address = address


class HostUnresolvable(Exception):
    """The host name has no address (DNS may recover: callers retry)."""

    def __init__(self, host: str) -> None:
        super().__init__(f"the host {host!r} does not resolve to any address")
        self.host = host


def non_public_reason(address: IPAddress) -> str | None:
    """Why an address is not a public one, or None when it is."""
    if address in _METADATA:
        return "cloud metadata address"
    if isinstance(address, IPv6Address):
        embedded = _embedded_v4(address)
        if embedded is not None:
            inner = non_public_reason(embedded)
            return f"IPv6 address embedding an IPv4 {inner}" if inner else None
        if address in _V4_COMPATIBLE and not (address.is_unspecified or address.is_loopback):
            return "deprecated IPv4-compatible IPv6 address"
        if address in _NAT64_LOCAL:
            return "local-use NAT64 address"
    elif address in _SHARED_V4:
        return "shared (carrier-grade NAT) address"
    for flag, reason in (
        (address.is_unspecified, "unspecified address"),
        (address.is_loopback, "loopback address"),
        (address.is_link_local, "link-local address"),
        (address.is_multicast, "multicast address"),
        (address.is_private, "private address"),
        (address.is_reserved, "reserved address"),
        (not address.is_global, "address that is not globally routable"),
    ):
        if flag:
            return reason
    return None


def _embedded_v4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 address a mapped, 6to4 or NAT64 IPv6 address reaches, if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64_WELL_KNOWN:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def parse_literal(host: str) -> IPAddress | None:
    """The address when the host is a canonical IP literal (brackets, zone allowed), else None."""
    bare = host.strip("[]").split("%", 1)[0]
    try:
        return ip_address(bare)
    except ValueError:
        return None


def non_canonical_literal(host: str) -> bool:
    """True for the other spellings of an IPv4 address that resolvers accept: shorthand (127.1),
    decimal (2130706433), octal (0177.0.0.1) and hex (0x7f.1), with or without a final dot."""
    name = host.rstrip(".")
    if parse_literal(name) is not None:
        return host != name  # "127.0.0.1." is still a literal, spelled so a check might miss it
    try:
        socket.inet_aton(name)
    except (OSError, UnicodeError, ValueError):
        return name.rsplit(".", 1)[-1].isdigit()  # no top-level domain is numeric
    return True


def refused_name_reason(host: str) -> str | None:
    """Why a host name is refused before any lookup, or None."""
    name = host.rstrip(".").lower()
    if name in _REFUSED_NAMES or name.endswith(_REFUSED_SUFFIXES):
        return "local or metadata host name"
    if "." not in name:
        # Single-label names resolve through the search domains, i.e. to internal hosts.
        return "single-label host name"
    return None


def allowed(address: IPAddress, networks: Sequence[IPNetwork]) -> bool:
    """True when an operator allowed this non-public address (local development, a private
    instance); IPv4-mapped IPv6 addresses are judged by their IPv4 address."""
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


def refusal_for(address: IPAddress, networks: Sequence[IPNetwork]) -> str | None:
    """Why the guard refuses to connect to `address`, or None."""
    reason = non_public_reason(address)
    if reason is None or allowed(address, networks):
        return None
    return reason


async def system_resolver(host: str, port: int) -> Sequence[str]:
    """Every address the system resolver gives for a host."""
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    return [str(info[4][0]) for info in infos]


def judge_host(host: str, allowed_networks: Sequence[IPNetwork] = ()) -> IPAddress | None:
    """What can be said of a host before any lookup: AddressRefused for a spelling, an address or
    a local name the guard refuses; the address of an accepted IP literal; None for a name, which
    is judged by what it resolves to."""
    if non_canonical_literal(host):
        raise AddressRefused(host, "non-canonical IP address")
    literal = parse_literal(host)
    if literal is not None:
        reason = refusal_for(literal, allowed_networks)
        if reason is not None:
            raise AddressRefused(host, reason, str(literal))
        return literal
    name_reason = refused_name_reason(host)
    if name_reason is not None and not allowed_networks:
        raise AddressRefused(host, name_reason)
    return None


async def resolve_public(
    host: str, port: int, *, resolver: Resolver, allowed_networks: Sequence[IPNetwork] = ()
) -> IPAddress:
    """The one address to connect to; AddressRefused if any address the host has is not public
    (nor allowed), HostUnresolvable when it has none."""
    literal = judge_host(host, allowed_networks)
    if literal is not None:
        return literal
    try:
        answers = await resolver(host, port)
    except (OSError, UnicodeError) as exc:
        raise HostUnresolvable(host) from exc
    addresses: list[IPAddress] = []
    for answer in answers:
        address = parse_literal(answer)
        if address is None:
            raise HostUnresolvable(host)
        reason = refusal_for(address, allowed_networks)
        if reason is not None:
            # One bad answer is enough: a later lookup or connection could pick it.
            raise AddressRefused(host, reason, str(address))
        addresses.append(address)
    if not addresses:
        raise HostUnresolvable(host)
    return addresses[0]
