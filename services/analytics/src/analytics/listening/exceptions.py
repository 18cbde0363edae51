"""Listening query errors (an invalid period is `analytics.periods.InvalidPeriod`)."""

from __future__ import annotations

from beacon_shared.errors import InvalidInput


class InvalidAccountKey(InvalidInput):
    code, title = "invalid_account_key", "The account key is not valid"

    def __init__(self, key: str) -> None:
        super().__init__(
            f"{key!r} is not <network>:<external_account_id> (e.g. mastodon:10923).",
            errors=[
                {
                    "pointer": "/path/account",
                    "location": "path",
                    "type": "invalid_account_key",
                    "message": "expected <network>:<external_account_id>",
                }
            ],
        )
