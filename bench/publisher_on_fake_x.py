"""`python -m publisher.worker` with its X connector calling BENCH_X_API_URL instead of
api.x.com, for bench/x_token_day.py.

The publisher has no setting for X's API address (its connectors are built with the networks'
own), so the benchmark starts the worker through this module: the same settings, worker spec and
jobs, the one change being the base URL the connector registry gives `XConnector`. Run with
`python -m bench.publisher_on_fake_x` from the repository root.
"""

from __future__ import annotations

import os
from functools import partial

from beacon_shared.worker import worker_main
from publisher.config import Settings
from publisher.connectors import registry
from publisher.connectors.x import XConnector
from publisher.worker import spec


def main() -> None:
    # built_in_registry looks XConnector up in its module when it builds the registry.
    registry.XConnector = partial(XConnector, base_url=os.environ["BENCH_X_API_URL"])  # type: ignore[attr-defined,assignment]
    settings = Settings()
    worker_main(settings, spec(settings))


if __name__ == "__main__":
    main()
