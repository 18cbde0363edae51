"""The network credentials that live outside the workspace's registry, all under the platform's
NETWORK_CREDENTIALS_KEYS: sealed in the workspace's account events, and at rest in the replicas
ingest and the publisher keep of each account (their sandbox accounts too). One key for every
copy, rotated like any keyring (beacon_shared.crypto) and re-sealed by each service's worker
(beacon_shared.reseal).

Before the registry, ingest and the publisher sealed their accounts with keys of their own
(INGEST_CREDENTIALS_KEY, PUBLISHER_CREDENTIALS_KEY). Those keys now only open what they sealed:
the services' workers re-seal it under the platform's key, after which they may be unset for
accounts (the publisher's still seals its webhook secrets).

Nothing here logs or raises with a credential in it.
"""

from __future__ import annotations

from pydantic import SecretStr

from beacon_shared.crypto import SecretBox, SecretsUnreadable
from beacon_shared.events import MalformedEvent

SETTING = "NETWORK_CREDENTIALS_KEYS"
# Names only the registry keeps: it alone refreshes, so refresh tokens never leave it.
REGISTRY_ONLY = frozenset({"refresh_token"})


class EventKeyMissing(RuntimeError):
    """NETWORK_CREDENTIALS_KEYS is unset: the event is retried, then dead-lettered, to be
    replayed once the key is set (the event itself is fine)."""


def for_services(credentials: dict[str, str]) -> dict[str, str]:
    """The credentials the services that call the networks receive: all but the registry's own."""
    return {name: value for name, value in credentials.items() if name not in REGISTRY_ONLY}


def seal_for_services(keys: SecretStr | None, credentials: dict[str, str]) -> str:
    """An account's credentials sealed for an event to the services, the registry's own left
    out; SecretKeyMissing without keys."""
    return SecretBox(keys, setting=SETTING).encrypt(for_services(credentials)).decode("ascii")


def open_event_credentials(keys: SecretStr | None, sealed: str) -> dict[str, str]:
    """The credentials an event carries, opened with the platform's keys.

    EventKeyMissing without keys; MalformedEvent when none of them opens the credentials (they
    were sealed with another key, or altered).
    """
    if keys is None:
        raise EventKeyMissing(f"set {SETTING} to open the accounts' credentials")
    if not sealed.isascii():
        raise MalformedEvent("the event's credentials are not a Fernet token")
    try:
        return SecretBox(keys, setting=SETTING).decrypt(sealed.encode("ascii"))
    except SecretsUnreadable as exc:
        raise MalformedEvent(f"the event's credentials cannot be opened: {exc}") from None


def replica_keys(keys: SecretStr | None, legacy: SecretStr | None) -> SecretStr | None:
    """The keyring of a service's accounts at rest: it seals with the platform's newest key and
    opens with any of the platform's keys or, for what it sealed before them, the service's own
    key. Without the platform's keys it seals with the service's key, as before."""
    listed = ",".join(k.get_secret_value() for k in (keys, legacy) if k is not None)
    return SecretStr(listed) if listed else None


def replica_box(keys: SecretStr | None) -> SecretBox:
    """The box of a service's accounts at rest, from their keyring (`replica_keys`)."""
    return SecretBox(keys, setting=SETTING)
