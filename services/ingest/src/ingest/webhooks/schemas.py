"""HTTP models of the webhook receivers."""

from __future__ import annotations

from pydantic import BaseModel, Field


class WebhookAck(BaseModel):
    """What became of a delivery; networks only look at the status code."""

    stored: int = Field(description="New interactions stored (and their events staged).")
    duplicates: int = Field(description="Interactions already stored, acknowledged again.")
    own_activity: int = Field(
        default=0,
        description="The accounts' own comments, replies and messages, recorded for their "
        "threads (`own.activity.recorded`), not as interactions.",
    )
    skipped: int = Field(
        description="Parts left out: unsupported, malformed, the account's other own activity "
        "(reactions, shares, posts), or for an account nobody connected."
    )


class XCrcResponse(BaseModel):
    """The answer X expects to its challenge-response check."""

    response_token: str = Field(description="`sha256=` + base64 HMAC-SHA256 of the crc_token.")
