"""Opaque keyset cursors round-trip and refuse, as a 400, anything they did not produce."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from uuid import uuid4

import orjson
import pytest

from beacon_shared.pagination import Cursor, InvalidCursor, split_page


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


class TestSplitPage:
    def rows(self, count: int, **names: str) -> list[SimpleNamespace]:
        start = datetime.now(UTC)
        return [
            SimpleNamespace(
                created_at=start - timedelta(minutes=n), **{names.get("id", "id"): uuid4()}
            )
            for n in range(count)
        ]

    def test_rows_within_the_limit_are_the_last_page(self):
        rows = self.rows(3)

        assert split_page(rows, 3, at="created_at") == (rows, None)

    def test_one_row_more_than_the_limit_gives_the_cursor_after_the_page(self):
        rows = self.rows(4)

        page, cursor = split_page(rows, 3, at="created_at")

        assert page == rows[:3]
        assert cursor is not None
        assert Cursor.decode(cursor) == Cursor(rows[2].created_at, rows[2].id)

    def test_ties_are_broken_by_the_id_named(self):
        rows = self.rows(2, id="campaign_id")

        _, cursor = split_page(rows, 1, at="created_at", tie="campaign_id")

        assert cursor is not None
        assert Cursor.decode(cursor) == Cursor(rows[0].created_at, rows[0].campaign_id)
