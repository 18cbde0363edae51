"""Accounts as the workspace's registry announces them, for the tests of the services that keep
them (ingest, the publisher): an account of the registry and its `account.connected` event, the
credentials sealed with the platform's NETWORK_CREDENTIALS_KEYS, as the workspace stages it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

from pydantic import SecretStr

from beacon_shared.contracts.workspace import (
    KIND_NETWORK,
    AccountConnected,
    AccountKind,
    ConnectedAccount,
)
from beacon_shared.crypto import SecretBox
from beacon_shared.events import Envelope
from beacon_shared.network_credentials import SETTING

# What an account of each kind signs in with, as the workspace seals it (beacon_shared.networks
# .oauth): enough for every service's replica to accept it.
CREDENTIALS: Mapping[AccountKind, Mapping[str, str]] = {
    AccountKind.facebook_page: {"access_token": "page-token"},
    AccountKind.instagram_business: {"access_token": "page-token", "page_id": "page-1"},
    AccountKind.x_user: {"access_token": "x-token", "refresh_token": "x-refresh"},
    AccountKind.linkedin_member: {"access_token": "li-token"},
    AccountKind.linkedin_organization: {"access_token": "li-token"},
    AccountKind.mastodon: {"base_url": "https://mastodon.example", "access_token": "m-token"},
    AccountKind.bluesky: {
        "service": "https://pds.example",
        "identifier": "acme.example",
        "app_password": "abcd-efgh-ijkl-mnop",
        "access_jwt": "access-jwt",
        "refresh_jwt": "refresh-jwt",
    },
}
# Where a Mastodon account or a Bluesky one lives, as its credentials above say.
INSTANCE_URL: Mapping[AccountKind, str] = {
    AccountKind.mastodon: "https://mastodon.example",
    AccountKind.bluesky: "https://pds.example",
}


def registry_account(
    kind: AccountKind,
    *,
    brand_id: str = "brand-1",
    account_id: uuid.UUID | None = None,
    external_id: str | None = None,
    handle: str | None = "acme",
    instance_url: str | None = None,
    version: int = 1,
) -> ConnectedAccount:
    """An account of the registry of this kind (a new id and network id unless given; a
    Mastodon or Bluesky one on the host of CREDENTIALS unless given)."""
    return ConnectedAccount(
        account_id=account_id or uuid.uuid4(),
        brand_id=brand_id,
        network=KIND_NETWORK[kind],
        kind=kind,
        external_id=external_id or uuid.uuid4().hex,
        handle=handle,
        display_name="Acme",
        instance_url=instance_url or INSTANCE_URL.get(kind),
        scopes=["write"],
        version=version,
    )


def account_connected(
    account: ConnectedAccount,
    *,
    tenant_id: str,
    event_keys: SecretStr,
    credentials: Mapping[str, str] | None = None,
) -> Envelope:
    """The workspace's `account.connected` of the account, its credentials (by default those of
    CREDENTIALS) sealed with `event_keys`."""
    sealed = SecretBox(event_keys, setting=SETTING).encrypt(
        dict(CREDENTIALS[account.kind] if credentials is None else credentials)
    )
    return Envelope.build(
        AccountConnected(
            account=account,
            credentials=sealed.decode("ascii"),
            reconnected=False,
            connected_by="user:u-1",
            at=datetime.now(UTC),
        ),
        tenant_id=tenant_id,
        subject=str(account.account_id),
        source="/beacon/workspace",
    )
