"""The publisher's posts (scheduled, published, failed) and the observed reach and impressions
of the brand's own posts, as rollup facts."""
