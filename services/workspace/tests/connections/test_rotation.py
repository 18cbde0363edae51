"""Key rotation: with a new key first, the worker seals every secret again under it, after
which the old key can go."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from beacon_shared.crypto import SecretBox, SecretsUnreadable
from beacon_shared.db import create_sessionmaker
from beacon_shared.reseal import reseal
from services.workspace.tests.connections.conftest import (
    CREDENTIALS_KEY,
    connections_settings,
    opened,
    outcome,
)
from workspace.config import Settings
from workspace.connections.rotation import sealed

pytestmark = pytest.mark.integration


async def test_a_rotation_seals_the_credentials_again_under_the_new_key(
    harness, networks, settings_for, engine
):
    old = Fernet.generate_key().decode()
    # The suite's key is the new one here: what other tests stored already opens with it.
    rotated = settings_for(
        Settings, **connections_settings(networks, credentials_keys=f"{CREDENTIALS_KEY},{old}")
    )
    async with harness(credentials_keys=old) as h:
        account_id = outcome(await h.connect("x"))["accounts"]
        [before] = await h.accounts()
        resealed = await reseal(create_sessionmaker(engine), sealed(rotated))
        again = await reseal(create_sessionmaker(engine), sealed(rotated))
        [after] = await h.accounts()

    assert str(after.id) == account_id
    assert resealed >= 1
    assert again == 0
    assert after.credentials != before.credentials
    assert opened(after.credentials, CREDENTIALS_KEY) == opened(before.credentials, old)
    with pytest.raises(SecretsUnreadable):
        SecretBox(SecretStr(old), setting="old").decrypt(after.credentials)
