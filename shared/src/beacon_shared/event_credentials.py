"""The credentials the workspace's account events carry, sealed with the platform's
EVENT_CREDENTIALS_KEYS: opened by the services that call the networks (ingest, the publisher).

Nothing here logs or raises with a credential in it.
"""

from __future__ import annotations

from pydantic import SecretStr

from beacon_shared.crypto import SecretBox, SecretsUnreadable
from beacon_shared.events import MalformedEvent

SETTING = "EVENT_CREDENTIALS_KEYS"


class EventKeyMissing(RuntimeError):
    """EVENT_CREDENTIALS_KEYS is unset: the event is retried, then dead-lettered, to be replayed
    once the key is set (the event itself is fine)."""


def open_event_credentials(keys: SecretStr | None, sealed: str) -> dict[str, str]:
    """The credentials an event carries, opened with the platform's event keys.

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
