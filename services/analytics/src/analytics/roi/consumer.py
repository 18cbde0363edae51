"""The ROI consumer group: campaigns and publications from the publisher."""

from __future__ import annotations

from analytics.roi.handlers import campaign_changed, post_published
from beacon_shared.consumer import Consumer
from beacon_shared.contracts.publisher import CampaignChanged, PostPublished
from beacon_shared.contracts.topics import CAMPAIGN_CHANGED, POST_PUBLISHED

GROUP_ID = "analytics.roi"


def roi_consumer() -> Consumer:
    """Its own group, so ROI's inbox and offsets are independent of the counters'."""
    return Consumer(
        group_id=GROUP_ID,
        topics=[CAMPAIGN_CHANGED.name, POST_PUBLISHED.name],
        batch_handlers={
            CampaignChanged.event_type: campaign_changed,
            PostPublished.event_type: post_published,
        },
    )
