"""What a rollup row is cut by: its dimension and its time grain."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class Grain(StrEnum):
    """The width of a rollup bucket; days start at the brand's local midnight."""

    minute = "minute"
    hour = "hour"
    day = "day"


class Dimension(StrEnum):
    """What a rollup row is about besides its brand; `total` is the brand as a whole."""

    total = "total"
    network = "network"
    account = "account"
    post = "post"
    campaign = "campaign"
    author = "author"


# The grains written per dimension. Minutes only for the brand's total (live dashboards and
# alerts), authors only per day (rankings): a brand-wide event writes at most twelve rows, and
# a batch pre-aggregates them into far fewer.
GRAINS: Mapping[Dimension, tuple[Grain, ...]] = {
    Dimension.total: (Grain.minute, Grain.hour, Grain.day),
    Dimension.network: (Grain.hour, Grain.day),
    Dimension.account: (Grain.hour, Grain.day),
    Dimension.post: (Grain.hour, Grain.day),
    Dimension.campaign: (Grain.hour, Grain.day),
    Dimension.author: (Grain.day,),
}
