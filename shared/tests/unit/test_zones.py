"""Zones named in requests: known ones found, any other one problem pointing at `/timezone`."""

from __future__ import annotations

import pytest

from beacon_shared.zones import InvalidTimeZone, zone


def test_a_known_zone_is_found():
    assert zone("Europe/Paris").key == "Europe/Paris"


@pytest.mark.parametrize("name", ["Europe/Atlantis", "", "../etc/passwd", "UTC+2"])
def test_any_other_name_is_one_problem(name):
    with pytest.raises(InvalidTimeZone) as refused:
        zone(name)
    assert refused.value.status == 422
    assert refused.value.errors[0]["pointer"] == "/timezone"
