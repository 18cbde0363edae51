"""Ingest's own accounts, connected through `POST /v1/accounts` before the workspace's registry
existed, handed over to it once each (beacon_shared.account_handover)."""

from __future__ import annotations

from beacon_shared.account_handover import HandOver
from beacon_shared.contracts.ingest import AccountHandedOver
from ingest.accounts.crypto import credential_box
from ingest.accounts.models import connected_account
from ingest.accounts.replica import registry_form
from ingest.config import Settings
from ingest.db import outbox


def handover_spec(settings: Settings) -> HandOver:
    """What ingest hands over, and with which keys."""
    return HandOver(
        table=connected_account,
        own=connected_account.c.workspace_version.is_(None),
        event=AccountHandedOver,
        source="ingest",
        outbox=outbox,
        box=credential_box(settings.account_keys),
        event_keys=settings.network_credentials_keys,
        registry_form=registry_form,
    )
