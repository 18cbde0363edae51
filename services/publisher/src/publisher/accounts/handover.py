"""The publisher's own accounts, connected through `POST /v1/publishing-accounts` before the
workspace's registry existed, handed over to it once each (beacon_shared.account_handover)."""

from __future__ import annotations

from beacon_shared.account_handover import HandOver
from beacon_shared.contracts.publisher import AccountHandedOver
from publisher.accounts.models import AccountSource, account
from publisher.accounts.replica import registry_form
from publisher.config import Settings, account_box
from publisher.db import outbox


def handover_spec(settings: Settings) -> HandOver:
    """What the publisher hands over, and with which keys."""
    return HandOver(
        table=account,
        own=account.c.source == AccountSource.publisher.value,
        event=AccountHandedOver,
        source="publisher",
        outbox=outbox,
        box=account_box(settings),
        event_keys=settings.network_credentials_keys,
        registry_form=registry_form,
    )
