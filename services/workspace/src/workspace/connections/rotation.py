"""What the workspace seals under WORKSPACE_CREDENTIALS_KEYS, re-sealed after a rotation by
beacon_shared.reseal: the accounts' credentials, Beacon's Mastodon app secrets, the PKCE
verifiers of flows in progress and the tokens still to be revoked after a disconnection."""

from __future__ import annotations

from collections.abc import Sequence

from beacon_shared.reseal import Sealed
from workspace.config import Settings
from workspace.connections.apps import credentials_box
from workspace.connections.models import connected_account, mastodon_app, oauth_state, revocation


def sealed(settings: Settings) -> Sequence[Sealed]:
    """Each table's sealed column, under the registry's box."""
    box = credentials_box(settings)
    return (
        Sealed(connected_account, "credentials", ("id",), box),
        Sealed(mastodon_app, "client_secret", ("instance_url", "redirect_uri"), box),
        Sealed(oauth_state, "secrets", ("id",), box),
        Sealed(revocation, "credentials", ("id",), box),
    )
