"""A report as one CSV table in long form: one row per (section, bucket or key, metric).

Columns: `section, bucket_start, key, label, currency, metric, value, previous, change, basis`.
Sections: `report` (what the file covers), `summary` (with the previous period), `series`
(one row per bucket and metric), `network`, `top_post`, `top_author` and `campaign` (ROI, one
row per currency for money). Times are in the brand's zone, with their offset; values are raw
(ratios as fractions, durations in seconds, money as decimal strings).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal

from analytics.reports.formatting import local
from analytics.reports.schemas import ReportContent
from analytics.rollups.queries import TOP_METRICS
from analytics.rollups.schemas import TopKind, Value

COLUMNS = (
    "section",
    "bucket_start",
    "key",
    "label",
    "currency",
    "metric",
    "value",
    "previous",
    "change",
    "basis",
)
# A spreadsheet runs a cell starting with these as a formula: text cells get a quote first.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | Decimal | None
CsvRow = dict[str, Cell]


def render(content: ReportContent) -> str:
    """The CSV text of a report, header first."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows(content):
        writer.writerow({column: _cell(column, row.get(column)) for column in COLUMNS})
    return out.getvalue()


def rows(content: ReportContent) -> Iterator[CsvRow]:
    """Every row of the table, section by section."""
    zone = content.timezone
    described: list[tuple[str, Cell]] = [
        ("brand_id", content.brand_id),
        ("timezone", content.timezone),
        ("period_start", local(content.period_start, zone).isoformat()),
        ("period_end", local(content.period_end, zone).isoformat()),
        ("previous_start", local(content.previous_start, zone).isoformat()),
        ("previous_end", local(content.previous_end, zone).isoformat()),
        ("grain", content.grain.value),
        ("roi_first_day", content.roi_first_day.isoformat()),
        ("roi_last_day", content.roi_last_day.isoformat()),
    ]
    for name, value in described:
        yield {"section": "report", "metric": name, "value": value}
    for line in content.summary:
        yield {
            "section": "summary",
            "label": line.label,
            "metric": line.metric,
            "value": line.current,
            "previous": line.previous,
            "change": line.change,
            "basis": line.basis,
        }
    for point in content.series:
        at = local(point.bucket_start, zone).isoformat()
        for name in content.series_metrics:
            yield {
                "section": "series",
                "bucket_start": at,
                "metric": name,
                "value": point.values.get(name),
            }
    for network in content.networks:
        for name in content.network_metrics:
            yield {
                "section": "network",
                "key": network.network,
                "metric": name,
                "value": network.values.get(name),
            }
    for post in content.top_posts:
        yield {
            "section": "top_post",
            "key": post.post_id,
            "label": " ".join(sorted({p.network for p in post.publications})),
            "metric": TOP_METRICS[TopKind.posts],
            "value": post.value,
        }
    for author in content.top_authors:
        yield {
            "section": "top_author",
            "key": author.author,
            "label": author.network,
            "metric": TOP_METRICS[TopKind.authors],
            "value": author.value,
        }
    for item in content.campaigns:
        base: CsvRow = {
            "section": "campaign",
            "key": str(item.campaign.id),
            "label": item.campaign.name,
        }
        counts: list[tuple[str, Cell]] = [
            ("clicks", item.clicks),
            ("conversions", item.conversions),
            ("conversion_rate", item.conversion_rate),
            ("publications", item.publications),
        ]
        for name, value in counts:
            yield {**base, "metric": name, "value": value}
        for money in item.currencies:
            for name, amount in (
                ("cost", money.cost),
                ("value", money.value),
                ("roi", money.roi),
                ("cost_per_conversion", money.cost_per_conversion),
            ):
                yield {**base, "currency": money.currency, "metric": name, "value": amount}


def _cell(column: str, value: Cell | Value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(round(value, 6))
    text = str(value)
    if column in ("key", "label") and text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text
