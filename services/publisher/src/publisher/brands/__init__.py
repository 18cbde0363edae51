"""Each brand's publishing settings (time zone, approval, pause on alert) and the bad-buzz alerts
that pause its queue while open."""
