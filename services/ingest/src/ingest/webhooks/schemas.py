"""HTTP models of the webhook receivers."""

from __future__ import annotations

from pydantic import BaseModel, Field


class WebhookAck(BaseModel):
    """What became of a delivery; networks only look at the status code."""

    stored: int = Field(description="New interactions stored (and their events staged).")
    duplicates: int = Field(description="Interactions already stored, acknowledged again.")
    skipped: int = Field(
        description="Parts left out: unsupported, malformed, the account's own activity, or "
        "for an account nobody connected."
    )


class XCrcResponse(BaseModel):
    """The answer X expects to its challenge-response check."""

    response_token: str = Field(description="`sha256=` + base64 HMAC-SHA256 of the crc_token.")
