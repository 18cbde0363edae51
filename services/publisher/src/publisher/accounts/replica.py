"""What the publisher keeps of a workspace account: its network, the id its connector posts as,
and the credentials its connector reads, from the registry's account and opened credentials.

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
    """How one kind of workspace account publishes: its network, the prefix of the id its
    connector posts as, and which of its credentials the connector reads under which name."""

    network: Network
    credentials: Mapping[str, str]
    id_prefix: str = ""


# Per kind: the publisher's name of each credential <- the workspace's (the shapes are in
# beacon_shared.networks.oauth and each connector's docstring).
KINDS: Mapping[AccountKind, KindMapping] = {
    AccountKind.facebook_page: KindMapping(Network.facebook, {"page_access_token": "access_token"}),
    AccountKind.instagram_business: KindMapping(
        Network.instagram, {"access_token": "access_token"}
    ),
    # The refresh token stays in the workspace, which alone refreshes.
    AccountKind.x_user: KindMapping(Network.x, {"access_token": "access_token"}),
    AccountKind.linkedin_member: KindMapping(
        Network.linkedin, {"access_token": "access_token"}, id_prefix="urn:li:person:"
    ),
    AccountKind.linkedin_organization: KindMapping(
        Network.linkedin, {"access_token": "access_token"}, id_prefix="urn:li:organization:"
    ),
    AccountKind.mastodon: KindMapping(Network.mastodon, {"access_token": "access_token"}),
    # Bluesky's connector opens its own sessions with the app password.
    AccountKind.bluesky: KindMapping(
        Network.bluesky, {"identifier": "identifier", "app_password": "app_password"}
    ),
}


@dataclass(frozen=True)
class Replica:
    """The columns of the publisher's row for a workspace account (credentials apart)."""

    network: Network
    external_account_id: str
    instance_url: str | None


def kind_mapping(account: ConnectedAccount) -> KindMapping:
    """How the account publishes; MalformedEvent for a kind the publisher does not know or a
    network that is not its kind's."""
    mapping = KINDS.get(account.kind)
    if mapping is None:
        raise MalformedEvent(f"the publisher cannot publish as a {account.kind.value} account")
    if account.network != mapping.network:
        raise MalformedEvent(
            f"a {account.kind.value} account on {account.network.value}: it is a "
            f"{mapping.network.value} account"
        )
    return mapping


def replica_of(account: ConnectedAccount) -> Replica:
    """The account as the publisher's row holds it."""
    mapping = kind_mapping(account)
    external_id = account.external_id
    if mapping.id_prefix and not external_id.startswith(mapping.id_prefix):
        external_id = f"{mapping.id_prefix}{external_id}"
    instance_url = account.instance_url.rstrip("/") if account.instance_url else None
    if mapping.network == Network.mastodon and instance_url is None:
        raise MalformedEvent("a Mastodon account without its instance_url")
    return Replica(mapping.network, external_id, instance_url)


def publishing_credentials(account: ConnectedAccount, opened: Mapping[str, str]) -> dict[str, str]:
    """The credentials the account's connector reads, under its names; MalformedEvent when one
    is missing (named, never shown)."""
    mapping = kind_mapping(account)
    missing = sorted(theirs for theirs in mapping.credentials.values() if not opened.get(theirs))
    if missing:
        raise MalformedEvent(
            f"the {account.kind.value} account's credentials lack {', '.join(missing)}"
        )
    return {ours: opened[theirs] for ours, theirs in mapping.credentials.items()}


# The kind of each network's own account; LinkedIn's is told by the id's prefix.
OWN_KINDS: Mapping[Network, AccountKind] = {
    Network.facebook: AccountKind.facebook_page,
    Network.instagram: AccountKind.instagram_business,
    Network.x: AccountKind.x_user,
    Network.mastodon: AccountKind.mastodon,
    Network.bluesky: AccountKind.bluesky,
}
# Credentials the registry keeps beside the connector's, from the row: where the account lives.
INSTANCE_CREDENTIAL: Mapping[AccountKind, str] = {
    AccountKind.mastodon: "base_url",
    AccountKind.bluesky: "service",
}


def _kind_and_id(network: str, external_id: str) -> tuple[AccountKind, str] | None:
    if network == Network.linkedin.value:
        for kind in (AccountKind.linkedin_organization, AccountKind.linkedin_member):
            prefix = KINDS[kind].id_prefix
            if external_id.startswith(prefix):
                return kind, external_id.removeprefix(prefix)
        return None
    own = next((k for n, k in OWN_KINDS.items() if n.value == network), None)
    return (own, external_id) if own is not None else None


def registry_form(row: Row[Any], opened: Mapping[str, str]) -> RegistryForm | None:
    """One of the publisher's own accounts as the registry holds it (the inverse of
    `replica_of` and `publishing_credentials`); None for one the registry does not take (the
    sandbox network) or whose credentials lack what the registry needs."""
    found = _kind_and_id(row.network, row.external_account_id)
    if found is None:
        return None
    kind, external_id = found
    credentials = {theirs: opened.get(ours, "") for ours, theirs in KINDS[kind].credentials.items()}
    if kind in INSTANCE_CREDENTIAL:
        credentials[INSTANCE_CREDENTIAL[kind]] = row.instance_url or ""
    if not all(credentials.values()):
        return None
    return RegistryForm(kind, external_id, row.instance_url, credentials)
