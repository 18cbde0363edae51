"""A credential limited to some brands reaches nothing of the organization's other brands, on
any route of any service. Brand
A's objects are made through the API with a marker; a key of the same organization limited to
brand B, with every scope, then calls every keyed route with A's ids in the path and A's brand
in the path and the filters. Neither the marker nor an id of A's that it did not name ever
reaches it, no call naming A's objects or A's brand succeeds, and A's objects read the same
afterwards."""

from __future__ import annotations

import pytest

from tests.security.test_route_access import keyed_operations
from tests.security.test_tenancy import SEEDS, filled, own_paths, readings, sweep

pytestmark = pytest.mark.integration

SERVICES = ("ingest", "moderation", "publisher", "analytics", "workspace")


@pytest.mark.parametrize("service", SERVICES)
async def test_a_key_limited_to_a_brand_reaches_nothing_of_another(
    service, build_app, api_client, issue_api_key, register_brands, unique
):
    app = build_app(service)
    tenant = unique("tenant")
    marker, brand, other = unique("marker"), unique("brand"), unique("brand")
    await register_brands(tenant, brand, other)
    key_a = await issue_api_key(tenant)
    key_b = await issue_api_key(tenant, brand_ids=(other,))
    operations = keyed_operations(app)
    async with api_client(app, key=key_a.key) as a, api_client(app, key=key_b.key) as b:
        ids = await SEEDS[service](a, marker, brand)
        secrets = [marker, *(value for values in ids.values() for value in values)]
        own = own_paths(operations, ids, brand)
        before = await readings(a, own)
        assert any(secrets[1] in text for text in before.values()), "A cannot read its objects"

        leaks, reached = await sweep(
            b,
            operations,
            ids,
            brand,
            secrets,
            must_fail=lambda path, names_object: (
                names_object or filled(path, ids, brand)[0] != filled(path, ids, other)[0]
            ),
        )
        after = await readings(a, own)

    assert leaks == []
    assert reached == []
    assert after == before
