"""An instance stored as public but resolving to Beacon's own network when a post goes out: the
connector's calls go through the egress guard, which refuses them before any connection."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import pytest

from beacon_shared.contracts.common import Network
from beacon_shared.egress import EgressPolicy, egress_client, parse_networks
from beacon_shared.network_calls import NetworkCallError, Refused
from beacon_shared.testing.listener import recording_listener
from publisher.connectors.base import Account, PublishContent
from publisher.connectors.bluesky import BlueskyConnector
from publisher.connectors.mastodon import MastodonConnector
from publisher.connectors.rate_limits import RateLimitBook

LOOPBACK_ALLOWED = EgressPolicy(allowed_networks=parse_networks("127.0.0.1/32"))


async def rebound(host: str, port: int) -> Sequence[str]:
    return ["127.0.0.1"]  # the name pointed elsewhere when the account was connected


def account(network: Network, port: int) -> Account:
    return Account(
        id=uuid.uuid4(),
        tenant_id="tenant-1",
        network=network,
        external_account_id="did:plc:brand" if network is Network.bluesky else "1090",
        handle="brand",
        instance_url=f"https://social.example:{port}",
        credentials={"access_token": "t", "identifier": "brand.example", "app_password": "p"},
    )


@pytest.mark.parametrize("network", [Network.mastodon, Network.bluesky])
async def test_a_post_to_an_instance_that_now_resolves_to_loopback_never_leaves(network):
    with recording_listener() as listener:
        for policy in (EgressPolicy(), LOOPBACK_ALLOWED):
            async with egress_client(policy, timeout=2, resolver=rebound) as http:
                connector = (
                    MastodonConnector(http, RateLimitBook())
                    if network is Network.mastodon
                    else BlueskyConnector(http, RateLimitBook())
                )
                with pytest.raises(NetworkCallError) as refused:
                    await connector.publish(
                        account(network, listener.port), PublishContent(text="Hello"), "key-1"
                    )
            if policy == EgressPolicy():
                assert isinstance(refused.value, Refused)
                assert "egress guard" in str(refused.value)
                assert listener.received == []
    # The control: where an operator allows loopback, the same call does reach the listener.
    assert listener.received != []
