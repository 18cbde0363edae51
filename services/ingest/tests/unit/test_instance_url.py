"""Which Mastodon instance URLs a tracked competitor may name: public https roots only."""

from __future__ import annotations

import pytest

from ingest.competitors.schemas import public_instance_url


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("https://mastodon.social", "https://mastodon.social"),
        ("https://Mastodon.Social/", "https://mastodon.social"),
        ("  https://fosstodon.org:8443 ", "https://fosstodon.org:8443"),
        ("https://93.184.216.34", "https://93.184.216.34"),
    ],
)
def test_public_roots_are_kept_normalised(given, kept):
    assert public_instance_url(given) == kept


@pytest.mark.parametrize(
    "given",
    [
        "http://mastodon.social",
        "mastodon.social",
        "https://user:pw@mastodon.social",
        "https://mastodon.social/@rival",
        "https://mastodon.social/?q=1",
        "https://localhost",
        "https://db",
        "https://printer.local",
        "https://127.0.0.1",
        "https://169.254.169.254",
        "https://192.168.1.10",
        "https://[fd00::1]",
    ],
)
def test_anything_else_is_refused(given):
    with pytest.raises(ValueError, match="must be"):
        public_instance_url(given)
