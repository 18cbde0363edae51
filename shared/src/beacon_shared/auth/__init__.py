"""Tenants and API keys: issued once, stored hashed, verified by every service.

Keys live in the platform-owned `iam` schema rather than being copied into each service so that a
revoked key stops working everywhere within one cache period, with no event to wait for.
"""

from beacon_shared.auth.keys import generate_key, hash_key, issue_key, revoke_key
from beacon_shared.auth.principal import Principal
from beacon_shared.auth.rate_limit import RateLimitDecision, RateLimiter
from beacon_shared.auth.verify import ApiKeyVerifier, require_scope

__all__ = [
    "ApiKeyVerifier",
    "Principal",
    "RateLimitDecision",
    "RateLimiter",
    "generate_key",
    "hash_key",
    "issue_key",
    "require_scope",
    "revoke_key",
]
