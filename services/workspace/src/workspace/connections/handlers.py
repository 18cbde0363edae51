"""Consumed events about connected accounts, from the services that call the networks: the
accounts they connected themselves, handed over (handover.py), and the tokens a network refused
them (refusals.py)."""

from __future__ import annotations

from beacon_shared.consumer import Consumer
from beacon_shared.contracts import ingest, publisher
from beacon_shared.contracts.topics import ACCOUNT_HANDED_OVER, ACCOUNT_REFRESH_REQUESTED
from workspace.connections.handover import HandOver, HandOverKeys
from workspace.connections.refusals import ingest_refused, publisher_refused

GROUP_ID = "workspace.accounts"


def accounts_consumer(keys: HandOverKeys) -> Consumer:
    """The group reading what ingest and the publisher tell the registry."""
    hand_over = HandOver(keys)
    return Consumer(
        group_id=GROUP_ID,
        topics=[ACCOUNT_HANDED_OVER.name, ACCOUNT_REFRESH_REQUESTED.name],
        handlers={
            ingest.AccountHandedOver.event_type: hand_over.ingest,
            publisher.AccountHandedOver.event_type: hand_over.publisher,
            ingest.AccountRefreshRequested.event_type: ingest_refused,
            publisher.AccountRefreshRequested.event_type: publisher_refused,
        },
    )
