"""OAuth with each network: authorization URLs, code exchange, token refresh and discovery of
the accounts a login grants (one small module per network)."""

from beacon_shared.networks.oauth.base import (
    ClientApp,
    GrantedAccount,
    OAuthRefused,
    OAuthUnavailable,
    TokenSet,
    pkce_pair,
)

__all__ = [
    "ClientApp",
    "GrantedAccount",
    "OAuthRefused",
    "OAuthUnavailable",
    "TokenSet",
    "pkce_pair",
]
