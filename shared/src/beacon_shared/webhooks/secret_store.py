"""An endpoint's signing secrets at rest: the current one and, after a rotation, the previous one.

During `ROTATION_OVERLAP` after a rotation every webhook is signed with both (the Standard
Webhooks signature header holds several), so receivers can switch secrets without dropping any.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from beacon_shared.crypto import SecretBox

ROTATION_OVERLAP = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class EndpointSecrets:
    """The secrets an endpoint signs with."""

    current: str
    previous: str | None = None
    previous_until: datetime | None = None

    def signing(self, now: datetime) -> list[str]:
        """The secrets to sign with at `now`: the current one first."""
        if self.previous is None or self.previous_until is None or now >= self.previous_until:
            return [self.current]
        return [self.current, self.previous]

    def rotated(self, new: str, *, now: datetime) -> EndpointSecrets:
        """These secrets after switching to `new`; the current one stays valid for a while."""
        return EndpointSecrets(
            current=new, previous=self.current, previous_until=now + ROTATION_OVERLAP
        )


def seal(box: SecretBox, secrets: EndpointSecrets) -> bytes:
    """The token to store in `secret_encrypted`."""
    plain: dict[str, str] = {"current": secrets.current}
    if secrets.previous is not None and secrets.previous_until is not None:
        plain["previous"] = secrets.previous
        plain["previous_until"] = secrets.previous_until.isoformat()
    return box.encrypt(plain)


def unseal(box: SecretBox, token: bytes) -> EndpointSecrets:
    """The secrets a stored token holds; SecretsUnreadable when the key does not open it."""
    plain: Mapping[str, str] = box.decrypt(token)
    until = plain.get("previous_until")
    return EndpointSecrets(
        current=plain["current"],
        previous=plain.get("previous"),
        previous_until=datetime.fromisoformat(until) if until else None,
    )
