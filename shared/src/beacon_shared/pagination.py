"""Opaque keyset cursors: the (timestamp, id) of the last item a page returned."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

import orjson

from beacon_shared.bounds import in_range
from beacon_shared.errors import DomainError

MAX_LIMIT = 200
R = TypeVar("R", bound=Any)
DEFAULT_LIMIT = 50


class InvalidCursor(DomainError):
    """A cursor no page handed out: a 400, whatever its shape (see `Cursor.decode`)."""

    status, code, title = 400, "invalid_cursor", "The cursor is not valid"

    def __init__(self) -> None:
        super().__init__(
            "Pass back a next_cursor exactly as a previous page returned it.",
            errors=[
                {
                    "pointer": "/cursor",
                    "location": "query",
                    "type": "invalid_cursor",
                    "message": "not a cursor returned by this endpoint",
                }
            ],
        )


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: strictly after this (timestamp, id) in the list's order."""

    at: datetime
    id: UUID

    def encode(self) -> str:
        """The opaque token handed to clients."""
        raw = orjson.dumps([self.at.isoformat(), str(self.id)])
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    @classmethod
    def decode(cls, token: str) -> Cursor:
        """Parse a token from `encode`; anything else is an InvalidCursor.

        Strict: the token must be exactly what `encode` makes of an aware instant the database
        holds, so a forged or edited one never reaches a query.
        """
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            at, id_ = orjson.loads(raw)
            parsed = cls(datetime.fromisoformat(at), UUID(id_))
        except (binascii.Error, orjson.JSONDecodeError, TypeError, ValueError) as exc:
            raise InvalidCursor from exc
        if parsed.at.tzinfo is None or not in_range(parsed.at) or parsed.encode() != token:
            raise InvalidCursor
        return parsed


def split_page(
    rows: Sequence[R], limit: int, *, at: str, tie: str = "id"
) -> tuple[Sequence[R], str | None]:
    """Rows fetched with `limit + 1`: the page, and the cursor after its last row (None at the
    end); `at` names the timestamp column the list is ordered by, ties broken by the `tie` id."""
    if len(rows) <= limit:
        return rows, None
    page = rows[:limit]
    last = page[-1]
    return page, Cursor(getattr(last, at), getattr(last, tie)).encode()
