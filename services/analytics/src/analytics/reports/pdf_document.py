"""A report as a PDF: title, headline figures against the previous period, the series and the
networks as charts, top posts and authors, and the ROI of the brand's campaigns."""

from __future__ import annotations

import io
from collections.abc import Sequence
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from analytics.reports import charts
from analytics.reports.content import LABELS
from analytics.reports.formatting import (
    change,
    figure,
    local,
    money,
    period_label,
    ratio,
)
from analytics.reports.schemas import ReportContent
from analytics.rollups import metrics
from analytics.rollups.dimensions import Grain

_STYLES = getSampleStyleSheet()
# The series and network metrics drawn (the CSV has them all).
CHARTED = (metrics.INTERACTIONS, metrics.ENGAGEMENT)
_TABLE_STYLE = TableStyle(
    [
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
        ("FONT", (0, 1), (-1, -1), "Helvetica", 9),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9ecef")),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#ced4da")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
)


def render(content: ReportContent) -> bytes:
    """The PDF of a report."""
    buffer = io.BytesIO()
    period = period_label(content.period_start, content.period_end, content.timezone)
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"Report {content.brand_id} {period}",
        author="Beacon",
    )
    document.build(
        [
            *_title(content, period),
            *_summary(content),
            *_series(content),
            *_networks(content),
            *_top_posts(content),
            *_top_authors(content),
            *_campaigns(content),
        ]
    )
    return buffer.getvalue()


def _title(content: ReportContent, period: str) -> list[Flowable]:
    previous = period_label(content.previous_start, content.previous_end, content.timezone)
    return [
        Paragraph(f"Report: {_text(content.brand_id)}", _STYLES["Title"]),
        Paragraph(
            f"{_text(period)} ({_text(content.timezone)}), compared with {_text(previous)}",
            _STYLES["Normal"],
        ),
        Spacer(1, 6 * mm),
    ]


def _summary(content: ReportContent) -> list[Flowable]:
    rows = [["Figure", "This period", "Previous period", "Change"]]
    for line in content.summary:
        label = line.label
        if line.basis == metrics.POSTS_PUBLISHED:
            # No impression known: the engagement rate falls back to engagement per post.
            label = f"{label} (per published post)"
        rows.append(
            [
                label,
                figure(line.metric, line.current),
                figure(line.metric, line.previous),
                change(line.change),
            ]
        )
    return _section("Summary", _table(rows, [70 * mm, 35 * mm, 35 * mm, 30 * mm]))


def _series(content: ReportContent) -> list[Flowable]:
    daily = content.grain is Grain.day
    title, pattern = ("Per day", "%d %b") if daily else ("Per hour", "%d %b %H:%M")
    if not content.series:
        return _section(title, Paragraph("No bucket starts in the period.", _STYLES["Normal"]))
    categories = [local(p.bucket_start, content.timezone).strftime(pattern) for p in content.series]
    lines = [
        (LABELS[name], [float(p.values.get(name) or 0) for p in content.series]) for name in CHARTED
    ]
    return _section(title, charts.line_chart(categories, lines))


def _networks(content: ReportContent) -> list[Flowable]:
    if not content.networks:
        return _section("Per network", Paragraph("No interaction.", _STYLES["Normal"]))
    categories = [n.network for n in content.networks]
    bars = [
        (LABELS[name], [float(n.values.get(name) or 0) for n in content.networks])
        for name in CHARTED
    ]
    rows = [["Network", *(LABELS.get(name, name) for name in content.network_metrics)]]
    rows += [
        [n.network, *(figure(name, n.values.get(name)) for name in content.network_metrics)]
        for n in content.networks
    ]
    return _section("Per network", charts.bar_chart(categories, bars), _table(rows))


def _top_posts(content: ReportContent) -> list[Flowable]:
    if not content.top_posts:
        return []
    rows = [["#", "Post", "Networks", "Engagement"]]
    for rank, post in enumerate(content.top_posts, start=1):
        networks = ", ".join(sorted({p.network for p in post.publications}))
        rows.append([str(rank), post.post_id, networks, figure("engagement", post.value)])
    return _section("Top posts", _table(rows, [10 * mm, 85 * mm, 45 * mm, 30 * mm], numbers_from=3))


def _top_authors(content: ReportContent) -> list[Flowable]:
    if not content.top_authors:
        return []
    rows = [["#", "Author", "Network", "Interactions"]]
    for rank, author in enumerate(content.top_authors, start=1):
        rows.append(
            [str(rank), author.author_id, author.network, figure("interactions", author.value)]
        )
    return _section(
        "Top authors", _table(rows, [10 * mm, 85 * mm, 45 * mm, 30 * mm], numbers_from=3)
    )


def _campaigns(content: ReportContent) -> list[Flowable]:
    if not content.campaigns:
        return []
    rows = [["Campaign", "Clicks", "Conversions", "Cost", "Value", "ROI"]]
    for item in content.campaigns:
        counts = [item.campaign.name, f"{item.clicks:,}", f"{item.conversions:,}"]
        if not item.currencies:
            rows.append([*counts, "", "", ""])
        for i, entry in enumerate(item.currencies):
            rows.append(
                [
                    *(counts if i == 0 else ["", "", ""]),
                    money(entry.cost, entry.currency),
                    money(entry.value, entry.currency),
                    ratio(entry.roi),
                ]
            )
    days = f"{content.roi_first_day} to {content.roi_last_day}"
    note = Paragraph(
        f"Conversions of the UTC days {days}; a campaign's cost is its whole cost.",
        _STYLES["Italic"],
    )
    return _section("Return on investment", _table(rows), note)


def _section(title: str, *body: Flowable | Drawing) -> list[Flowable]:
    heading = Paragraph(_text(title), _STYLES["Heading2"])
    # Keep a heading with what follows it on one page.
    return [KeepTogether([heading, *body]), Spacer(1, 4 * mm)]


def _table(
    rows: Sequence[Sequence[str]],
    widths: Sequence[float] | None = None,
    *,
    numbers_from: int = 1,
) -> Table:
    """A table with a header row; columns from `numbers_from` on hold numbers (right-aligned)."""
    table = Table(
        [[_clip(cell) for cell in row] for row in rows],
        colWidths=widths,
        repeatRows=1,
        hAlign="LEFT",
    )
    table.setStyle(_TABLE_STYLE)
    table.setStyle(TableStyle([("ALIGN", (numbers_from, 0), (-1, -1), "RIGHT")]))
    return table


def _clip(text: str, limit: int = 48) -> str:
    # Cells do not wrap: a long id would run over its neighbours.
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text(value: str) -> str:
    # Paragraphs read markup: names and ids from clients are shown as they are.
    return escape(value)
