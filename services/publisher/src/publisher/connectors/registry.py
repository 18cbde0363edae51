"""Which connector publishes to which network."""

from __future__ import annotations

from collections.abc import Iterable

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from beacon_shared.contracts.common import Network
from publisher.connectors.base import Connector
from publisher.connectors.bluesky import BlueskyConnector
from publisher.connectors.facebook import FacebookPageConnector
from publisher.connectors.instagram import InstagramConnector
from publisher.connectors.linkedin import LinkedInConnector
from publisher.connectors.mastodon import MastodonConnector
from publisher.connectors.rate_limits import RateLimitBook
from publisher.connectors.sandbox import SandboxConnector
from publisher.connectors.x import XConnector

# Networks a post may target: every network with a connector.
BUILT_IN_NETWORKS = frozenset(
    {
        Network.sandbox,
        Network.mastodon,
        Network.bluesky,
        Network.x,
        Network.facebook,
        Network.instagram,
        Network.linkedin,
    }
)


class NoConnector(LookupError):
    """No connector is registered for a network."""


class ConnectorRegistry:
    """Maps each network to the connector that publishes there."""

    def __init__(self, connectors: Iterable[Connector] = ()) -> None:
        self._by_network: dict[Network, Connector] = {}
        for connector in connectors:
            self.register(connector)

    def register(self, connector: Connector) -> None:
        """Add or replace the connector of `connector.network`."""
        self._by_network[connector.network] = connector

    def get(self, network: Network) -> Connector:
        """The connector of `network`, or NoConnector."""
        try:
            return self._by_network[network]
        except KeyError:
            raise NoConnector(f"no connector for the {network.value} network") from None

    @property
    def networks(self) -> frozenset[Network]:
        """Networks with a connector."""
        return frozenset(self._by_network)


def built_in_registry(
    sessionmaker: async_sessionmaker[AsyncSession], http: httpx.AsyncClient
) -> ConnectorRegistry:
    """The connectors that ship with Beacon, sharing one HTTP client and one rate-limit book."""
    limits = RateLimitBook()
    return ConnectorRegistry(
        [
            SandboxConnector(sessionmaker),
            MastodonConnector(http, limits),
            BlueskyConnector(http, limits),
            XConnector(http, limits),
            FacebookPageConnector(http, limits),
            InstagramConnector(http, limits),
            LinkedInConnector(http, limits),
        ]
    )
