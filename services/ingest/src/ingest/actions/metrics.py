"""Metrics of the network actions ingest carries out."""

from __future__ import annotations

from prometheus_client import Counter

ACTIONS = Counter(
    "beacon_ingest_network_actions_total",
    "Requested network actions finished, by network, action (hide, delete, reply) and outcome "
    "(succeeded, failed, unsupported).",
    ["network", "action", "outcome"],
)
ACTION_RETRIES = Counter(
    "beacon_ingest_network_action_retries_total",
    "Network calls to be tried again, by network, action and reason (rate_limited, "
    "server_error, connection, outcome_unknown for an action that is safe to repeat).",
    ["network", "action", "reason"],
)
