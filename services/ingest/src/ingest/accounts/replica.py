"""What ingest keeps of an account of the workspace's registry: the network its interactions
arrive on, its id there, and the credentials its pollers and network actions read.

Nothing here logs or raises with a credential in it: a missing one is named, never shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row

from beacon_shared.account_handover import RegistryForm
from beacon_shared.contracts.common import Network
from beacon_shared.contracts.workspace import AccountKind, ConnectedAccount
from beacon_shared.events import MalformedEvent


@dataclass(frozen=True)
class KindMapping:
    """How ingest reads one kind of registry account: its network, and the credentials its
    pollers and actions read (ingest's name <- the registry's)."""

    network: Network
    credentials: Mapping[str, str]


# The registry's shapes are in beacon_shared.networks.oauth; ingest's in its pollers and in
# ingest.actions.networks. Refresh tokens and Bluesky sessions stay behind: the workspace alone
# refreshes, and ingest opens its own Bluesky sessions with the app password.
KINDS: Mapping[AccountKind, KindMapping] = {
    AccountKind.facebook_page: KindMapping(Network.facebook, {"access_token": "access_token"}),
    AccountKind.instagram_business: KindMapping(
        Network.instagram, {"access_token": "access_token"}
    ),
    AccountKind.x_user: KindMapping(Network.x, {"access_token": "access_token"}),
    AccountKind.mastodon: KindMapping(
        Network.mastodon, {"base_url": "base_url", "access_token": "access_token"}
    ),
    AccountKind.bluesky: KindMapping(
        Network.bluesky,
        {"service": "service", "identifier": "identifier", "app_password": "app_password"},
    ),
}

# Kinds ingest receives nothing from (no webhook, poller or action of its own): their events
# are consumed and left aside.
NOT_READ: frozenset[AccountKind] = frozenset(
    {AccountKind.linkedin_member, AccountKind.linkedin_organization}
)


def kind_mapping(account: ConnectedAccount) -> KindMapping | None:
    """How ingest reads the account; None for a kind it does not read (LinkedIn), and a
    MalformedEvent for one it does not know or a network that is not its kind's."""
    if account.kind in NOT_READ:
        return None
    mapping = KINDS.get(account.kind)
    if mapping is None:
        raise MalformedEvent(f"ingest does not know {account.kind.value} accounts")
    if account.network != mapping.network:
        raise MalformedEvent(
            f"a {account.kind.value} account on {account.network.value}: it is a "
            f"{mapping.network.value} account"
        )
    return mapping


def ingest_credentials(mapping: KindMapping, opened: Mapping[str, str]) -> dict[str, str]:
    """The credentials ingest's pollers and actions read, under their names; MalformedEvent when
    one is missing (named, never shown)."""
    missing = sorted(theirs for theirs in mapping.credentials.values() if not opened.get(theirs))
    if missing:
        raise MalformedEvent(f"the account's credentials lack {', '.join(missing)}")
    return {ours: opened[theirs] for ours, theirs in mapping.credentials.items()}


# Where an account lives, among the credentials ingest keeps (the registry's instance_url).
INSTANCE_CREDENTIAL: Mapping[AccountKind, str] = {
    AccountKind.mastodon: "base_url",
    AccountKind.bluesky: "service",
}


def registry_form(row: Row[Any], opened: Mapping[str, str]) -> RegistryForm | None:
    """One of ingest's own accounts as the registry holds it (the inverse of
    `ingest_credentials`); None for one the registry does not take (the generic API's, the
    sandbox's) or whose credentials lack what the registry needs."""
    kind = next((k for k, m in KINDS.items() if m.network.value == row.network), None)
    if kind is None:
        return None
    credentials = {theirs: opened.get(ours, "") for ours, theirs in KINDS[kind].credentials.items()}
    if not all(credentials.values()):
        return None
    instance = INSTANCE_CREDENTIAL.get(kind)
    instance_url = credentials[instance] if instance else None
    return RegistryForm(kind, row.external_account_id, instance_url, credentials)
