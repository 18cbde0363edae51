"""Opaque keyset cursors round-trip and refuse, as a 400, anything they did not produce."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

import orjson
import pytest

from beacon_shared.pagination import Cursor, InvalidCursor


def token_of(*parts: object) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(parts))).rstrip(b"=").decode()


def test_a_cursor_round_trips_through_its_token():
    cursor = Cursor(datetime.now(UTC), uuid4())
    assert Cursor.decode(cursor.encode()) == cursor


def test_a_cursor_keeps_its_offset():
    at = datetime.now(timezone(timedelta(hours=-5)))
    assert Cursor.decode(Cursor(at, uuid4()).encode()).at == at


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not-base64!",
        "bnVsbA",
        Cursor(datetime(2026, 1, 1), uuid4()).encode(),
        token_of("0001-01-01T00:00:00+01:00", str(uuid4())),
        token_of("9999-12-31T23:59:59-01:00", str(uuid4())),
        token_of(datetime.now(UTC).isoformat(), str(uuid4())) + "=",
        base64.urlsafe_b64encode(
            b'[ "%s", "%s" ]' % (datetime.now(UTC).isoformat().encode(), str(uuid4()).encode())
        ).decode(),
        token_of(datetime.now(UTC).isoformat(), str(uuid4()).upper()),
    ],
    ids=[
        "empty",
        "garbage",
        "json-null",
        "naive-timestamp",
        "year-zero-in-utc",
        "year-10000-in-utc",
        "padded",
        "re-spaced-json",
        "upper-case-id",
    ],
)
def test_tokens_it_did_not_produce_are_a_400(token):
    with pytest.raises(InvalidCursor) as raised:
        Cursor.decode(token)
    assert raised.value.status == 400
    assert raised.value.code == "invalid_cursor"
    assert raised.value.errors[0]["pointer"] == "/cursor"
