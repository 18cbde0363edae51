"""Connected accounts' and connect flows' errors."""

from beacon_shared.errors import Conflict, DomainError, InvalidInput, NotFound


class ConnectedAccountNotFound(NotFound):
    code, title = "connected_account_not_found", "Connected account not found"


class NetworkNotConfigured(Conflict):
    code, title = "network_not_configured", "This network cannot be connected here"


class ReturnUrlRefused(InvalidInput):
    code, title = "return_url_refused", "The return URL is not allowed"

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"The return URL {reason}.",
            errors=[
                {
                    "pointer": "/return_url",
                    "location": "body",
                    "type": "return_url_refused",
                    "message": reason,
                }
            ],
        )


class ServerUrlRefused(InvalidInput):
    code, title = "server_url_refused", "The server URL cannot be used"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(
            f"The {field} cannot be used: {reason}.",
            errors=[
                {
                    "pointer": f"/{field}",
                    "location": "body",
                    "type": "server_url_refused",
                    "message": reason,
                }
            ],
        )


class OAuthStateInvalid(DomainError):
    status, code, title = 400, "oauth_state_invalid", "Unknown connection state"


class OAuthStateUsed(Conflict):
    code, title = "oauth_state_used", "This connection was already completed"


class OAuthStateExpired(DomainError):
    status, code, title = 410, "oauth_state_expired", "This connection attempt has expired"


class NetworkRefused(InvalidInput):
    code, title = "network_refused", "The network refused"


class NetworkUnavailable(DomainError):
    status, code, title = 502, "network_unavailable", "The network could not be reached"
