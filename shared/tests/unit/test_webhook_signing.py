"""Standard Webhooks signatures: the published vector, headers, rotation, tampering, tolerance."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from beacon_shared.webhooks import (
    InvalidSecret,
    MalformedHeaders,
    NoMatchingSignature,
    TimestampOutOfTolerance,
    headers,
    new_secret,
    sign,
    sign_all,
    verify,
)
from beacon_shared.webhooks.signing import MAX_SECRET_BYTES, MIN_SECRET_BYTES, secret_key

# From the reference library's tests (standard-webhooks/standard-webhooks,
# libraries/python/tests/test_webhooks.py::test_sign_function); the spec text itself gives an
# example signature but not the secret behind it.
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

MSG_ID = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
TIMESTAMP = 1674087231
NOW = datetime.fromtimestamp(TIMESTAMP, tz=UTC)
BODY = b'{"type":"post.published","timestamp":"2023-01-19T00:13:51Z","data":{"id":"p1"}}'
SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()
OLD_SECRET = "whsec_" + base64.b64encode(bytes(range(100, 132))).decode()


def _headers(secret: str | list[str] = SECRET) -> dict[str, str]:
    return headers(secret, MSG_ID, TIMESTAMP, BODY)


class TestSecrets:
    def test_new_secret_is_prefixed_base64_of_32_bytes_by_default(self) -> None:
        secret = new_secret()
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32

    @pytest.mark.parametrize("n_bytes", [MIN_SECRET_BYTES, MAX_SECRET_BYTES])
    def test_new_secret_accepts_the_spec_bounds(self, n_bytes: int) -> None:
        assert len(secret_key(new_secret(n_bytes))) == n_bytes

    @pytest.mark.parametrize("n_bytes", [MIN_SECRET_BYTES - 1, MAX_SECRET_BYTES + 1])
    def test_new_secret_refuses_sizes_outside_the_bounds(self, n_bytes: int) -> None:
        with pytest.raises(InvalidSecret):
            new_secret(n_bytes)

    def test_new_secrets_differ(self) -> None:
        assert new_secret() != new_secret()

    @pytest.mark.parametrize(
        "secret",
        [
            base64.b64encode(bytes(32)).decode(),
            "whsec_not base64!",
            "whsec_" + base64.b64encode(bytes(16)).decode(),
            "whsec_" + base64.b64encode(bytes(65)).decode(),
            "whsec_",
        ],
        ids=["no-prefix", "not-base64", "too-short", "too-long", "empty"],
    )
    def test_malformed_secrets_are_refused(self, secret: str) -> None:
        with pytest.raises(InvalidSecret):
            sign(secret, MSG_ID, TIMESTAMP, BODY)


class TestSign:
    def test_matches_the_reference_test_vector(self) -> None:
        signature = sign(VECTOR_SECRET, VECTOR_MSG_ID, VECTOR_TIMESTAMP, VECTOR_BODY)
        assert signature == VECTOR_SIGNATURE

    def test_reference_vector_verifies(self) -> None:
        received = {
            "webhook-id": VECTOR_MSG_ID,
            "webhook-timestamp": str(VECTOR_TIMESTAMP),
            "webhook-signature": VECTOR_SIGNATURE,
        }
        now = datetime.fromtimestamp(VECTOR_TIMESTAMP, tz=UTC)
        verify(VECTOR_SECRET, received, VECTOR_BODY, now=now)

    def test_signature_is_v1_and_base64_of_a_sha256_digest(self) -> None:
        version, _, encoded = sign(SECRET, MSG_ID, TIMESTAMP, BODY).partition(",")
        assert version == "v1"
        assert len(base64.b64decode(encoded, validate=True)) == 32

    @pytest.mark.parametrize("msg_id", ["", "msg.1", "msg 1"])
    def test_ids_that_would_make_the_signed_content_ambiguous_are_refused(
        self, msg_id: str
    ) -> None:
        with pytest.raises(ValueError, match="msg_id"):
            sign(SECRET, msg_id, TIMESTAMP, BODY)

    def test_negative_timestamp_is_refused(self) -> None:
        with pytest.raises(ValueError, match="timestamp"):
            sign(SECRET, MSG_ID, -1, BODY)


class TestHeaders:
    def test_carries_the_three_standard_headers(self) -> None:
        sent = _headers()
        assert sent == {
            "webhook-id": MSG_ID,
            "webhook-timestamp": str(TIMESTAMP),
            "webhook-signature": sign(SECRET, MSG_ID, TIMESTAMP, BODY),
        }

    def test_rotation_sends_one_signature_per_secret_space_separated(self) -> None:
        signature = _headers([SECRET, OLD_SECRET])["webhook-signature"]
        assert signature.split(" ") == [
            sign(SECRET, MSG_ID, TIMESTAMP, BODY),
            sign(OLD_SECRET, MSG_ID, TIMESTAMP, BODY),
        ]
        assert signature == sign_all([SECRET, OLD_SECRET], MSG_ID, TIMESTAMP, BODY)

    def test_no_secret_at_all_is_refused(self) -> None:
        with pytest.raises(InvalidSecret):
            sign_all([], MSG_ID, TIMESTAMP, BODY)


class TestVerify:
    def test_round_trip(self) -> None:
        verify(SECRET, _headers(), BODY, now=NOW)

    def test_header_names_are_case_insensitive(self) -> None:
        received = {name.title(): value for name, value in _headers().items()}
        verify(SECRET, received, BODY, now=NOW)

    def test_receiver_with_either_secret_accepts_a_message_signed_during_rotation(self) -> None:
        received = _headers([SECRET, OLD_SECRET])
        verify(SECRET, received, BODY, now=NOW)
        verify(OLD_SECRET, received, BODY, now=NOW)

    def test_receiver_holding_both_secrets_accepts_either_signature(self) -> None:
        verify([new_secret(), OLD_SECRET], _headers(OLD_SECRET), BODY, now=NOW)

    def test_unknown_versions_and_junk_entries_are_skipped(self) -> None:
        received = _headers()
        received["webhook-signature"] = (
            "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg=="
            " v2,abc junk v1,!!!  " + received["webhook-signature"]
        )
        verify(SECRET, received, BODY, now=NOW)

    def test_wrong_secret_is_rejected(self) -> None:
        with pytest.raises(NoMatchingSignature):
            verify(new_secret(), _headers(), BODY, now=NOW)

    def test_tampered_body_is_rejected(self) -> None:
        with pytest.raises(NoMatchingSignature):
            verify(SECRET, _headers(), BODY.replace(b"p1", b"p2"), now=NOW)

    def test_tampered_id_is_rejected(self) -> None:
        received = _headers() | {"webhook-id": MSG_ID + "x"}
        with pytest.raises(NoMatchingSignature):
            verify(SECRET, received, BODY, now=NOW)

    def test_tampered_timestamp_is_rejected(self) -> None:
        received = _headers() | {"webhook-timestamp": str(TIMESTAMP + 1)}
        with pytest.raises(NoMatchingSignature):
            verify(SECRET, received, BODY, now=NOW)

    def test_tampered_signature_is_rejected(self) -> None:
        received = _headers()
        digest = bytearray(base64.b64decode(received["webhook-signature"].removeprefix("v1,")))
        digest[0] ^= 1
        received["webhook-signature"] = "v1," + base64.b64encode(bytes(digest)).decode()
        with pytest.raises(NoMatchingSignature):
            verify(SECRET, received, BODY, now=NOW)

    @pytest.mark.parametrize("skew", [-300, 300])
    def test_timestamps_at_the_tolerance_edge_are_accepted(self, skew: int) -> None:
        verify(SECRET, _headers(), BODY, now=NOW + timedelta(seconds=skew))

    @pytest.mark.parametrize("skew", [-301, 301])
    def test_timestamps_beyond_the_tolerance_are_rejected(self, skew: int) -> None:
        with pytest.raises(TimestampOutOfTolerance):
            verify(SECRET, _headers(), BODY, now=NOW + timedelta(seconds=skew))

    def test_tolerance_is_configurable(self) -> None:
        later = NOW + timedelta(seconds=61)
        with pytest.raises(TimestampOutOfTolerance):
            verify(SECRET, _headers(), BODY, now=later, tolerance=60)

    @pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
    def test_missing_header_is_malformed(self, missing: str) -> None:
        received = _headers()
        del received[missing]
        with pytest.raises(MalformedHeaders):
            verify(SECRET, received, BODY, now=NOW)

    @pytest.mark.parametrize(
        ("name", "value"),
        [
            ("webhook-id", "  "),
            ("webhook-timestamp", "hello"),
            ("webhook-timestamp", "1674087231.0"),
            ("webhook-timestamp", "+1674087231"),
            ("webhook-timestamp", "-5"),
            ("webhook-signature", "v1"),
            ("webhook-signature", "K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="),
            ("webhook-signature", "v1,not base64"),
        ],
    )
    def test_malformed_header_values_are_rejected(self, name: str, value: str) -> None:
        received = _headers() | {name: value}
        with pytest.raises(MalformedHeaders):
            verify(SECRET, received, BODY, now=NOW)

    def test_naive_now_is_refused(self) -> None:
        with pytest.raises(ValueError, match="timezone"):
            verify(SECRET, _headers(), BODY, now=datetime(2023, 1, 19))
