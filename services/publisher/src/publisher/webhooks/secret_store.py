"""The publisher's name for `beacon_shared.webhooks.secret_store`."""

from beacon_shared.webhooks.secret_store import ROTATION_OVERLAP, EndpointSecrets, seal, unseal

__all__ = ["ROTATION_OVERLAP", "EndpointSecrets", "seal", "unseal"]
