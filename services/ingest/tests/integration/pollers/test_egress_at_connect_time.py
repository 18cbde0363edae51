"""A server URL stored as public but resolving to Beacon's own network by the time the poller
calls it: the egress guard refuses at connect time, and nothing reaches the listener there."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest

from beacon_shared.contracts.common import Network
from beacon_shared.egress import EgressPolicy, egress_client, parse_networks
from beacon_shared.testing.listener import Listener, recording_listener
from ingest.pollers.runner import PollRunner
from services.ingest.tests.integration.pollers.conftest import KEY

pytestmark = pytest.mark.integration


@pytest.fixture
def listener() -> Iterator[Listener]:
    with recording_listener() as listening:
        yield listening


@pytest.mark.parametrize("network", [Network.mastodon, Network.bluesky])
async def test_a_server_that_now_resolves_to_loopback_is_never_called(
    network, listener, connect, sessionmaker, clock
):
    server = f"https://social.example:{listener.port}"
    credential = {Network.mastodon: "base_url", Network.bluesky: "service"}[network]
    token = {Network.mastodon: "access_token", Network.bluesky: "app_password"}[network]
    polled = await connect(
        network, {credential: server, token: "secret-token", "identifier": "brand.example"}
    )

    async def rebound(host: str, port: int) -> Sequence[str]:
        return ["127.0.0.1"]  # the name pointed elsewhere when it was stored

    async def poll(policy: EgressPolicy) -> str:
        async with egress_client(policy, timeout=2, resolver=rebound) as client:
            runner = PollRunner(
                sessionmaker=sessionmaker,
                client=client,
                credentials_key=KEY,
                interval_seconds=30,
                backoff_max_seconds=600,
                now=clock,
            )
            outcome = await runner.poll_account(polled)
        clock.advance(3600)  # past the back-off, so the account is due again
        return outcome.outcome

    assert await poll(EgressPolicy()) == "failed"
    assert listener.received == []
    # The control: where an operator allows loopback, the same poll does reach the listener.
    assert await poll(EgressPolicy(allowed_networks=parse_networks("127.0.0.1/32"))) == "failed"
    assert listener.received != []
