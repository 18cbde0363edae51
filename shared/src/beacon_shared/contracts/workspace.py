"""Events published by the workspace service."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from beacon_shared.contracts.common import Network
from beacon_shared.events import EventPayload


class BrandConfigured(EventPayload):
    """A brand was registered, changed or deleted in the workspace: the whole brand each time.

    It succeeds the publisher's `publisher.brand.configured` on the same topic, whose fields it
    keeps; consumers read both, keeping per brand the one with the latest `configured_at`.
    """

    event_type = "workspace.brand.configured"
    topic = "brand.configured"

    brand_id: str
    name: str
    timezone: str = Field(description="IANA zone: the brand's days start at its midnight.")
    languages: list[str] = Field(description="ISO 639-1 codes the brand speaks, e.g. fr, en.")
    approval_required: bool = Field(description="Posts need an approval before they go out.")
    self_approval_allowed: bool = Field(
        description="A post's author may approve it themselves (when they may approve at all)."
    )
    pause_on_alert: bool = Field(description="Publishing pauses while a bad-buzz alert is open.")
    deleted: bool = Field(
        default=False,
        description="The brand was deleted: its scheduled posts are cancelled, and every "
        "service refuses it from then on.",
    )
    configured_at: datetime


class AccountKind(StrEnum):
    """What a connected account is on its network."""

    facebook_page = "facebook_page"
    instagram_business = "instagram_business"
    x_user = "x_user"
    linkedin_member = "linkedin_member"
    linkedin_organization = "linkedin_organization"
    mastodon = "mastodon"
    bluesky = "bluesky"


# The network each kind of account is on.
KIND_NETWORK: Mapping[AccountKind, Network] = {
    AccountKind.facebook_page: Network.facebook,
    AccountKind.instagram_business: Network.instagram,
    AccountKind.x_user: Network.x,
    AccountKind.linkedin_member: Network.linkedin,
    AccountKind.linkedin_organization: Network.linkedin,
    AccountKind.mastodon: Network.mastodon,
    AccountKind.bluesky: Network.bluesky,
}

SEALED_CREDENTIALS = (
    "The account's credentials as a Fernet token of their JSON, sealed with "
    "`NETWORK_CREDENTIALS_KEYS` (never in clear): what the services that call the network sign in "
    "with, never a refresh token, which stays in the registry (see docs/workspace.md)."
)


class ConnectedAccount(BaseModel):
    """A connected account as the workspace's registry holds it, without credentials."""

    model_config = ConfigDict(frozen=True)

    account_id: UUID
    brand_id: str
    network: Network
    kind: AccountKind
    external_id: str = Field(description="The network's id of the account (a DID on Bluesky).")
    handle: str | None = None
    display_name: str | None = None
    instance_url: str | None = Field(
        default=None, description="The Mastodon instance or Bluesky PDS the account lives on."
    )
    scopes: list[str] = Field(description="What the network granted.")
    access_expires_at: datetime | None = Field(
        default=None, description="When the access token expires; null when it does not."
    )
    version: int = Field(
        description="Grows with every change of the account: keep the event with the highest."
    )


class HandedOverAccount(BaseModel):
    """An account a service connected itself before the registry existed, handed over to the
    registry once (`ingest.account.handed_over`, `publisher.account.handed_over`): the registry
    adopts it under the same id and announces it with `account.connected`, unless it holds that
    network account for the brand already, which it then announces again (its own wins)."""

    account_id: UUID = Field(description="The service's id of the account, kept by the registry.")
    brand_id: str
    network: Network
    kind: AccountKind
    external_id: str = Field(description="The network's id of the account, as the registry's.")
    handle: str | None = None
    display_name: str | None = None
    instance_url: str | None = Field(
        default=None, description="The Mastodon instance or Bluesky PDS the account lives on."
    )
    needs_reauth: bool = Field(description="The network had refused the account's token.")
    credentials: str = Field(
        description="Its credentials in the registry's shape, refresh token included (the "
        "registry keeps them), a Fernet token of their JSON sealed with `NETWORK_CREDENTIALS_KEYS`."
    )
    connected_at: datetime = Field(description="When the service connected it.")
    at: datetime


class RefreshRequest(BaseModel):
    """A network refused a registry account's token to a service (`*.account.refresh_requested`):
    the registry refreshes it at once where a refresh token can (then `account.credentials.changed`
    follows), and otherwise marks it needs-reauth (`account.deauthorized`)."""

    account_id: UUID
    version: int = Field(description="The registry's version of the credentials refused.")
    reason: str = Field(description="What the network answered, without the token.")
    at: datetime


class AccountConnected(EventPayload):
    """An account was connected to a brand through an OAuth login or an app password (or
    connected again: then `reconnected` is true and its credentials replace the old ones)."""

    event_type = "workspace.account.connected"
    topic = "account.connected"

    account: ConnectedAccount
    credentials: str = Field(description=SEALED_CREDENTIALS)
    reconnected: bool
    connected_by: str = Field(
        description="`user:<id>` or `key:<id>`; `service:<name>` for an account handed over by "
        "the service that connected it before the registry."
    )
    at: datetime


class AccountCredentialsChanged(EventPayload):
    """An account's tokens were refreshed: its new credentials, whole."""

    event_type = "workspace.account.credentials.changed"
    topic = "account.credentials.changed"

    account: ConnectedAccount
    credentials: str = Field(description=SEALED_CREDENTIALS)
    at: datetime


class AccountDisconnected(EventPayload):
    """An account was disconnected from its brand: its credentials are gone, nothing more is done
    with it until it is connected again."""

    event_type = "workspace.account.disconnected"
    topic = "account.disconnected"

    account: ConnectedAccount
    disconnected_by: str = Field(description="`user:<id>` or `key:<id>`.")
    at: datetime


class ConnectionDeauthorized(EventPayload):
    """An account's token no longer works and nothing renews it (a refresh refused for good, a
    token a service was refused that no refresh token renews, Meta saying it is invalid or its
    data access ends soon): it needs a person to connect it again; its scheduled posts will fail
    until then."""

    event_type = "workspace.account.deauthorized"
    topic = "account.deauthorized"

    account: ConnectedAccount
    reason: str
    at: datetime


class ErasureRequested(EventPayload):
    """An organization asked to erase one author's data: everything each service holds about the
    author's interactions on `network`, on `brand_id` or (None) every brand. It applies to what
    exists when each service reads it; later interactions are filed as usual."""

    event_type = "workspace.erasure.requested"
    topic = "erasure.requested"

    erasure_id: UUID
    brand_id: str | None = Field(description="One brand, or None for every brand.")
    network: Network
    author_id: str = Field(description="The author's id on the network (`Author.network_id`).")
    requested_by: str = Field(description="`user:<id>` or `key:<id>`.")
    requested_at: datetime
