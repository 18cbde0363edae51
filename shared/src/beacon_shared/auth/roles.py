"""What each role of a member lets them do, as the scopes API keys already carry."""

from __future__ import annotations

READ = (
    "accounts:read",
    "interactions:read",
    "moderation:read",
    "posts:read",
    "analytics:read",
    "brands:read",
)
WRITE = (
    "accounts:write",
    "interactions:write",
    "moderation:write",
    "posts:write",
    "analytics:write",
)

# Approving a post is its own scope: the editor who writes posts does not approve them.
APPROVE = "posts:approve"

ROLE_SCOPES: dict[str, frozenset[str]] = {
    # Everything, people and keys included.
    "owner": frozenset({"*"}),
    "admin": frozenset({"*"}),
    # Runs the brands: every read and write, but not the organization's webhooks.
    "manager": frozenset((*READ, *WRITE, APPROVE, "brands:write")),
    # The community manager: answers and moderates, reads the rest.
    "agent": frozenset((*READ, "interactions:write", "moderation:write")),
    "editor": frozenset((*READ, "posts:write")),
    # An agency's client: reads and approves the posts put before them, and the figures.
    "approver": frozenset({"posts:read", APPROVE, "analytics:read", "brands:read"}),
    "analyst": frozenset(READ),
}
ROLES = tuple(ROLE_SCOPES)
OWNER = "owner"
# Roles that always cover every brand; the others may be given brand by brand.
ORGANIZATION_ROLES = ("owner", "admin")
BRAND_ROLES = tuple(role for role in ROLES if role not in ORGANIZATION_ROLES)


def within_role(scopes: frozenset[str], role: str) -> frozenset[str]:
    """What a personal token may do: its own scopes, cut down to its user's current role."""
    granted = ROLE_SCOPES[role]
    if "*" in granted:
        return scopes
    if "*" in scopes:
        return granted
    return scopes & granted
