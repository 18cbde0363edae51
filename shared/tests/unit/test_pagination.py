"""Opaque keyset cursors round-trip and refuse anything they did not produce."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from beacon_shared.pagination import Cursor, InvalidCursor


def test_a_cursor_round_trips_through_its_token():
    cursor = Cursor(datetime(2026, 11, 24, 10, 0, 1, 123456, tzinfo=UTC), uuid4())
    assert Cursor.decode(cursor.encode()) == cursor


@pytest.mark.parametrize(
    "token",
    ["", "not-base64!", "bnVsbA", Cursor(datetime(2026, 1, 1), uuid4()).encode()],
    ids=["empty", "garbage", "json-null", "naive-timestamp"],
)
def test_tokens_it_did_not_produce_are_invalid(token):
    with pytest.raises(InvalidCursor) as raised:
        Cursor.decode(token)
    assert raised.value.status == 422
    assert raised.value.errors[0]["pointer"] == "/cursor"
