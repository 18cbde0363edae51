"""The deployment's network apps: the OAuth clients, the callback they return to, the egress
client they call through, and the box credentials are sealed with at rest."""

from __future__ import annotations

import httpx
from pydantic import SecretStr

from beacon_shared.crypto import SecretBox, SecretKeyMissing
from beacon_shared.egress import egress_client
from beacon_shared.logging import get_logger
from beacon_shared.networks.oauth import (
    ClientApp,
)
from beacon_shared.networks.oauth.linkedin import LinkedInOAuth
from beacon_shared.networks.oauth.meta import MetaOAuth
from beacon_shared.networks.oauth.x import XOAuth
from workspace.config import Settings
from workspace.connections.exceptions import (
    NetworkNotConfigured,
)

log = get_logger(__name__)
CALLBACK_PATH = "/v1/connections/callback"


def credentials_box(settings: Settings) -> SecretBox:
    """Seals and opens credentials at rest (WORKSPACE_CREDENTIALS_KEYS, newest first)."""
    return SecretBox(settings.credentials_keys, setting="WORKSPACE_CREDENTIALS_KEYS")


def require_keys(settings: Settings) -> None:
    """Refuse (409) before anything is asked of a network when credentials could not be kept."""
    if settings.credentials_keys is None:
        raise SecretKeyMissing("WORKSPACE_CREDENTIALS_KEYS")
    if settings.network_credentials_keys is None:
        raise SecretKeyMissing("NETWORK_CREDENTIALS_KEYS")


def redirect_uri(settings: Settings) -> str:
    """The callback URL registered with every network's app."""
    return settings.public_url.rstrip("/") + CALLBACK_PATH


def http_client(settings: Settings) -> httpx.AsyncClient:
    """A client through the egress guard for the networks' OAuth calls."""
    return egress_client(settings.egress, timeout=settings.oauth_timeout_seconds)


def _client_app(network: str, client_id: str | None, secret: SecretStr | None) -> ClientApp:
    if not client_id or secret is None:
        prefix = {"facebook": "META_APP", "x": "X_CLIENT", "linkedin": "LINKEDIN_CLIENT"}[network]
        raise NetworkNotConfigured(
            f"Beacon has no {network} app here: set WORKSPACE_{prefix}_ID and "
            f"WORKSPACE_{prefix}_SECRET (see docs/workspace.md)."
        )
    return ClientApp(client_id, secret)


def meta(settings: Settings, http: httpx.AsyncClient) -> MetaOAuth:
    """Facebook Login with the deployment's Meta app."""
    return MetaOAuth(
        http,
        _client_app("facebook", settings.meta_app_id, settings.meta_app_secret),
        auth_url=settings.meta_auth_url,
        graph_url=settings.meta_graph_url,
        version=settings.meta_graph_version,
    )


def x(settings: Settings, http: httpx.AsyncClient) -> XOAuth:
    """X's OAuth 2.0 with the deployment's X app."""
    return XOAuth(
        http,
        _client_app("x", settings.x_client_id, settings.x_client_secret),
        auth_url=settings.x_auth_url,
        api_url=settings.x_api_url,
    )


def linkedin(settings: Settings, http: httpx.AsyncClient) -> LinkedInOAuth:
    """LinkedIn's OAuth with the deployment's LinkedIn app."""
    return LinkedInOAuth(
        http,
        _client_app("linkedin", settings.linkedin_client_id, settings.linkedin_client_secret),
        auth_url=settings.linkedin_auth_url,
        api_url=settings.linkedin_api_url,
    )
