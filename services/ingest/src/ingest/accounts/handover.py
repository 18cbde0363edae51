"""Ingest's own accounts, connected through `POST /v1/accounts` before the workspace's registry
existed, handed over to it once each (beacon_shared.account_handover)."""

from __future__ import annotations

from functools import partial

from beacon_shared.account_handover import HandOver, hand_over
from beacon_shared.contracts.ingest import AccountHandedOver
from beacon_shared.worker import Job, WorkerContext, every
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
        box=credential_box(settings.credentials_key),
        event_keys=settings.event_credentials_keys,
        registry_form=registry_form,
    )


def handover_job(ctx: WorkerContext) -> Job:
    """At start, then every ACCOUNT_HANDOVER_SECONDS (an account connected or given a brand
    since goes then)."""
    if not isinstance(ctx.settings, Settings):
        raise TypeError("ingest's worker needs ingest.config.Settings")
    return every(
        ctx.settings.account_handover_seconds,
        partial(hand_over, ctx.sessionmaker, handover_spec(ctx.settings)),
        name="hand_accounts_over",
    )
