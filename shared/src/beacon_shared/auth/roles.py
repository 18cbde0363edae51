"""What each role of a member lets them do, as the scopes API keys already carry."""

from __future__ import annotations

READ = ("accounts:read", "interactions:read", "moderation:read", "posts:read", "analytics:read")
WRITE = (
    "accounts:write",
    "interactions:write",
    "moderation:write",
    "posts:write",
    "analytics:write",
)

ROLE_SCOPES: dict[str, frozenset[str]] = {
    # Everything, people and keys included.
    "owner": frozenset({"*"}),
    "admin": frozenset({"*"}),
    # Runs the brands: every read and write, but not the organization's webhooks.
    "manager": frozenset(READ + WRITE),
    # The community manager: answers and moderates, reads the rest.
    "agent": frozenset((*READ, "interactions:write", "moderation:write")),
    "editor": frozenset((*READ, "posts:write")),
    # An agency's client: reads the posts put before them and the figures.
    "approver": frozenset({"posts:read", "analytics:read"}),
    "analyst": frozenset(READ),
}
ROLES = tuple(ROLE_SCOPES)
OWNER = "owner"


def within_role(scopes: frozenset[str], role: str) -> frozenset[str]:
    """What a personal token may do: its own scopes, cut down to its user's current role."""
    granted = ROLE_SCOPES[role]
    if "*" in granted:
        return scopes
    if "*" in scopes:
        return granted
    return scopes & granted
