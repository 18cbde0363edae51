"""The report's charts, drawn with reportlab's own chart library: the series as lines, the
networks as grouped bars."""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors

WIDTH, HEIGHT = 480, 210
PALETTE = (colors.HexColor("#1f6feb"), colors.HexColor("#e8590c"), colors.HexColor("#2f9e44"))
# Category labels beyond this many would overlap: only every nth is written.
MAX_LABELS = 14


def line_chart(categories: Sequence[str], lines: Sequence[tuple[str, Sequence[float]]]) -> Drawing:
    """One line per (name, values), over the categories (buckets), with a legend."""
    drawing = Drawing(WIDTH, HEIGHT)
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 45, 50, WIDTH - 60, HEIGHT - 80
    chart.data = [tuple(values) for _, values in lines]
    chart.categoryAxis.categoryNames = _thinned(categories)
    chart.categoryAxis.labels.angle = 30
    chart.categoryAxis.labels.boxAnchor = "ne"
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 7
    chart.joinedLines = 1
    for i in range(len(lines)):
        chart.lines[i].strokeColor = PALETTE[i % len(PALETTE)]
        chart.lines[i].strokeWidth = 1.5
    drawing.add(chart)
    drawing.add(_legend([name for name, _ in lines]))
    return drawing


def bar_chart(categories: Sequence[str], bars: Sequence[tuple[str, Sequence[float]]]) -> Drawing:
    """Grouped bars: one group per category (network), one bar per (name, values)."""
    drawing = Drawing(WIDTH, HEIGHT)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 45, 40, WIDTH - 60, HEIGHT - 70
    chart.data = [tuple(values) for _, values in bars]
    chart.categoryAxis.categoryNames = list(categories)
    chart.categoryAxis.labels.fontSize = 8
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 7
    chart.groupSpacing = 8
    for i in range(len(bars)):
        chart.bars[i].fillColor = PALETTE[i % len(PALETTE)]
        chart.bars[i].strokeColor = None
    drawing.add(chart)
    drawing.add(_legend([name for name, _ in bars]))
    return drawing


def _legend(names: Sequence[str]) -> Legend:
    legend = Legend()
    legend.x, legend.y = 45, HEIGHT - 8
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.deltax = 90
    legend.fontSize = 8
    legend.colorNamePairs = [(PALETTE[i % len(PALETTE)], name) for i, name in enumerate(names)]
    return legend


def _thinned(categories: Sequence[str]) -> list[str]:
    step = max(1, -(-len(categories) // MAX_LABELS))
    return [name if i % step == 0 else "" for i, name in enumerate(categories)]
