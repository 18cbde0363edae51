"""The egress policy of tests and the local stack, whose fakes listen on loopback over http."""

from __future__ import annotations

from beacon_shared.egress import EgressPolicy, parse_networks

LOCAL_NETWORKS = "127.0.0.0/8,::1/128"
LOCAL_EGRESS = EgressPolicy(allow_http=True, allowed_networks=parse_networks(LOCAL_NETWORKS))
# The same as settings overrides: `settings_for(Settings, **LOCAL_EGRESS_SETTINGS)`.
LOCAL_EGRESS_SETTINGS: dict[str, object] = {
    "egress_allow_http": True,
    "egress_allowed_networks": LOCAL_NETWORKS,
}
