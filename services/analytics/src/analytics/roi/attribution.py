"""What a click or conversion's UTM values say: the network, the post, the campaign's key.

The publisher tags links with utm_source = the target's network, utm_medium and utm_campaign =
the campaign's; utm_content may carry a post id.
"""

from __future__ import annotations

from uuid import UUID

from beacon_shared.contracts.common import Network

# utm_source values people use for a network under another name.
_ALIASES = {"twitter": Network.x}


def network_of(utm_source: str | None, given: Network | None = None) -> Network | None:
    """The network a body names, else the one utm_source names (any case), else None."""
    if given is not None:
        return given
    if utm_source is None:
        return None
    source = utm_source.strip().lower()
    if source in _ALIASES:
        return _ALIASES[source]
    try:
        return Network(source)
    except ValueError:
        return None


def post_of(utm_content: str | None, given: UUID | None = None) -> UUID | None:
    """The post a body names, else utm_content when it is a post id (a UUID), else None."""
    if given is not None:
        return given
    if utm_content is None:
        return None
    try:
        return UUID(utm_content.strip())
    except ValueError:
        return None
