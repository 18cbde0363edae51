"""Which connector publishes to which network."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from beacon_shared.contracts.common import Network
from publisher.connectors.base import Connector
from publisher.connectors.sandbox import SandboxConnector

# Networks a post may target today; real connectors join this set as they are written.
BUILT_IN_NETWORKS = frozenset({Network.sandbox})


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


def built_in_registry(sessionmaker: async_sessionmaker[AsyncSession]) -> ConnectorRegistry:
    """The connectors that ship with Beacon."""
    return ConnectorRegistry([SandboxConnector(sessionmaker)])
