"""A personal token's scopes at each request: its own, cut down to its member's role then."""

from __future__ import annotations

from beacon_shared.auth.roles import ROLE_SCOPES, within_role


class TestWithinRole:
    def test_a_token_of_everything_gets_the_role(self):
        assert within_role(frozenset({"*"}), "analyst") == ROLE_SCOPES["analyst"]

    def test_an_owner_keeps_the_tokens_own_scopes(self):
        assert within_role(frozenset({"posts:read"}), "owner") == {"posts:read"}

    def test_scopes_beyond_the_role_are_dropped(self):
        scopes = frozenset({"posts:read", "posts:write", "webhooks:write"})
        assert within_role(scopes, "approver") == {"posts:read"}

    def test_nothing_in_common_is_nothing(self):
        assert within_role(frozenset({"webhooks:read"}), "approver") == frozenset()
