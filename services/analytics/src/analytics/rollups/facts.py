"""A fact: one metric's amount at one instant, with the dimensions it can be cut by."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from beacon_shared.contracts.ingest import InteractionKind

# Kinds whose thread is the brand's own post: comments and replies under it. A mention's
# thread is someone else's post, a direct message's a conversation.
_ON_OWN_POSTS = frozenset({InteractionKind.comment, InteractionKind.reply})


class Fact(NamedTuple):
    """What a consumed event contributes to one metric.

    Each dimension set (not None) gets rows of its grains; the brand's total always does.
    `thread` is the network's id of the post the fact is about (on `network`): `record` turns
    it into the published post and its campaign, or holds the amount until that post is known.
    A NamedTuple rather than a dataclass: hot paths build one or more per event.
    """

    tenant_id: str
    brand_id: str  # '' for events without a brand
    at: datetime
    metric: str
    amount: int = 1
    network: str | None = None
    account: str | None = None  # "<network>:<account's external id>"
    thread: str | None = None
    post: str | None = None  # Beacon's post id
    campaign: str | None = None
    author: str | None = None  # "<network>:<author's id on it>"
    # An amount already in the brand's totals (held for a post not known then), now added to
    # its post and campaign only.
    attributed_only: bool = False


class PostRef(NamedTuple):
    """A post published through Beacon, as `post.published` described it."""

    post_id: str
    campaign_id: str | None
    brand_id: str


# (tenant, network, thread external id): how a fact's thread is looked up.
ThreadKey = tuple[str, str, str]


def account_key(network: str, external_id: str | None) -> str | None:
    """The account dimension's key: the network and its id of the account."""
    return f"{network}:{external_id}" if external_id else None


def author_key(network: str, author_id: str) -> str:
    """The author dimension's key: the network and its id of the author."""
    return f"{network}:{author_id}"


def comment_thread(kind: InteractionKind, thread_external_id: str | None) -> str | None:
    """The thread a comment's facts are about: the post for comments and replies, else none."""
    return thread_external_id if kind in _ON_OWN_POSTS else None
