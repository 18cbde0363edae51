"""Interaction errors."""

from beacon_shared.errors import NotFound


class InteractionNotFound(NotFound):
    code, title = "interaction_not_found", "Interaction not found"
