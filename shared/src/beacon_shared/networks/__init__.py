"""Each network's protocol code with no business rule: what Beacon says to Graph, X, LinkedIn,
Mastodon and Bluesky, and how their answers read. Every call goes through the client it is given,
an egress-guarded one (`beacon_shared.egress.egress_client`)."""
