"""Errors of rollup queries (an invalid period is `analytics.periods.InvalidPeriod`)."""

from beacon_shared.errors import InvalidInput


class TooManyBuckets(InvalidInput):
    code, title = "too_many_buckets", "The range holds too many buckets"


class UnknownMetric(InvalidInput):
    code, title = "unknown_metric", "Unknown metric"


class UnsupportedQuery(InvalidInput):
    code, title = "unsupported_query", "This combination of parameters is not served"
