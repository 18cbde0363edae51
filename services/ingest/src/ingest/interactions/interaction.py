"""The interaction every channel (the API, the webhooks, the pollers) hands to the store.

The API's body (`schemas.InteractionIn`) is converted to it at the edge, so the HTTP contract and
what flows inside can change apart. It is bounded and cleaned as the API bounds a body: a
normaliser's item that breaks a bound is malformed, as a body would be refused.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from beacon_shared.bounds import Timestamp
from beacon_shared.contracts.common import Author, Network
from beacon_shared.contracts.ingest import InteractionKind

MAX_TEXT_LENGTH = 100_000
MAX_RAW_KEYS = 1_000
# C0 control characters other than tab, line feed and carriage return: invisible, never meant.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def without_control_characters(value: str) -> str:
    """`value` without the C0 control characters other than tab, line feed and carriage return."""
    return _CONTROL_CHARACTERS.sub("", value)


class Interaction(BaseModel):
    """One interaction on its way to the store; `raw` is the source payload kept for audit."""

    model_config = ConfigDict(extra="forbid")

    network: Network = Network.custom
    kind: InteractionKind
    external_id: str = Field(min_length=1, max_length=256)
    brand_id: str | None = Field(default=None, max_length=128)
    account_id: str | None = Field(default=None, max_length=128)
    account_external_id: str | None = Field(default=None, max_length=256)
    parent_external_id: str | None = Field(default=None, max_length=256)
    thread_external_id: str | None = Field(default=None, max_length=256)
    author: Author
    text: str = Field(default="", max_length=MAX_TEXT_LENGTH)
    created_at: Timestamp
    raw: dict[str, Any] | None = Field(default=None, max_length=MAX_RAW_KEYS)

    @field_validator("text")
    @classmethod
    def _strip_control_characters(cls, value: str) -> str:
        return without_control_characters(value)
