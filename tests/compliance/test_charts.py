"""The server-drawn line charts of the compliance pages."""

import datetime
import itertools
from decimal import Decimal

from compliance import charts


def test_chart_breaks_the_line_at_a_missing_value_and_spaces_its_date_labels():
    dates = [datetime.date(2026, 1, 1) + datetime.timedelta(days=n) for n in (0, 1, 2, 3, 200, 201, 202)]
    chart = charts.line_chart(
        chart_id="test",
        title="Rates",
        unit="%",
        dates=dates,
        series=[("Rate", [Decimal(10), Decimal(20), None, Decimal(40), Decimal(50), Decimal(60), Decimal(70)])],
        date_label=lambda d: d.isoformat(),
    )
    (series,) = chart.series
    assert len(series.segments) == 2 and len(series.points) == 6
    positions = [tick.position for tick in chart.x_ticks]
    assert chart.x_ticks[0].label == "2026-01-01" and chart.x_ticks[-1].label == "2026-07-22"
    assert all(b - a >= charts.MIN_LABEL_GAP for a, b in itertools.pairwise(positions))
    assert [tick.label for tick in chart.y_ticks] == ["0", "20", "40", "60", "80"]
    assert "Rate: from 10 % in 2026-01-01 to 70 % in 2026-07-22; lowest 10 %, highest 70 %." in chart.description


def test_chart_without_figures_says_so():
    chart = charts.line_chart(chart_id="empty", title="Rates", unit="%", dates=[], series=[("Rate", [])])
    assert not chart.has_data and chart.description == "No figures have been recorded yet."
