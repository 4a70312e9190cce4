"""Line charts drawn on the server as inline SVG: no script, no inline style (CSP), a text alternative each.

The geometry is computed here and drawn by ``templates/compliance/includes/line_chart.html``; every chart
is followed on its page by a table with the same figures, so the SVG never carries information alone.
Coordinates are floats because they only place pixels; the figures shown in words stay Decimal.

The last section builds the charts of the compliance pages from their records: Dublin rates and delays,
secondary movements, and a benchmark's measurements against its planned line.
"""

import datetime
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from compliance.periods import period_label
from compliance.summaries import planned_value

WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 56, 40, 16, 40
MIN_LABEL_GAP = 84  # px between the centres of two date labels, so that they never overlap
Y_TICKS = 5

# Each series differs by line pattern and marker shape as well as colour (WCAG 1.4.1: not colour alone).
MARKERS = ("circle", "square", "diamond", "triangle")


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str

    @property
    def square_x(self) -> float:
        return round(self.x - 4, 1)

    @property
    def square_y(self) -> float:
        return round(self.y - 4, 1)

    @property
    def diamond(self) -> str:
        return f"{self.x},{self.y - 5} {self.x + 5},{self.y} {self.x},{self.y + 5} {self.x - 5},{self.y}"

    @property
    def triangle(self) -> str:
        return f"{self.x},{self.y - 5} {self.x + 5},{self.y + 4} {self.x - 5},{self.y + 4}"


@dataclass(frozen=True)
class Series:
    name: str
    number: int  # 1-based: the CSS class chart__series--N gives its colour and dash pattern
    marker: str
    segments: list[str]  # polyline point lists; a missing value breaks the line
    points: list[Point]

    @property
    def legend_point(self) -> Point:
        """Where the marker sits in the legend's small key (36 x 12)."""
        return Point(18, 6, "")


@dataclass(frozen=True)
class LineChart:
    id: str
    title: str
    description: str
    unit: str
    series: list[Series]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    right: int = WIDTH - RIGHT
    bottom: int = HEIGHT - BOTTOM

    @property
    def has_data(self) -> bool:
        return any(series.points for series in self.series)

    @property
    def tick_end(self) -> int:
        return self.bottom + 5

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"


def _nice_step(span: Decimal) -> Decimal:
    """A round tick step (1, 2 or 5 times a power of ten) giving at most ``Y_TICKS`` - 1 intervals."""
    raw = span / (Y_TICKS - 1)
    magnitude = Decimal(10) ** math.floor(math.log10(raw))
    return next(factor * magnitude for factor in (1, 2, 5, 10) if raw <= factor * magnitude)


def _format(value: Decimal, unit: str) -> str:
    return f"{value:,} {unit}".strip()


def _tick_label(value: Decimal) -> str:
    # The unit is written once, as the axis title.
    return f"{value.normalize():,f}"


def _month(date: datetime.date) -> str:
    return date.strftime("%b %Y")


def _summary(name: str, dated: list[tuple[datetime.date, Decimal]], unit: str, date_label) -> str:
    if not dated:
        return f"{name}: no figures."
    (first_date, first), (last_date, last) = dated[0], dated[-1]
    low = min(value for _, value in dated)
    high = max(value for _, value in dated)
    if len(dated) == 1:
        return f"{name}: {_format(first, unit)} in {date_label(first_date)}."
    return (
        f"{name}: from {_format(first, unit)} in {date_label(first_date)} to {_format(last, unit)} in "
        f"{date_label(last_date)}; lowest {_format(low, unit)}, highest {_format(high, unit)}."
    )


def _date_ticks(candidates: list[Tick]) -> list[Tick]:
    """The first and last dates, and those between that leave room for their labels."""
    ticks = []
    for tick in candidates:
        if not ticks or tick.position - ticks[-1].position >= MIN_LABEL_GAP:
            ticks.append(tick)
    last = candidates[-1]
    if ticks[-1] is not last:
        if len(ticks) > 1 and last.position - ticks[-1].position < MIN_LABEL_GAP:
            ticks.pop()
        if last.position - ticks[-1].position >= MIN_LABEL_GAP:
            ticks.append(last)
    return ticks


def line_chart(
    *,
    chart_id: str,
    title: str,
    unit: str,
    dates: Sequence[datetime.date],
    series: Sequence[tuple[str, Sequence[Decimal | None]]],
    date_label: Callable[[datetime.date], str] = _month,
    floor: Decimal | None = Decimal(0),
    x_noun: str = "periods",
) -> LineChart:
    """A chart of one or more series over ``dates`` (ascending); each series has one value (or None) per date.

    The x axis is proportional to time, so a gap of three months looks like one. The y axis starts at
    ``floor`` (zero by default: rates and delays are not negative) and ends at a round number above the
    highest value.
    """
    values = [value for _, column in series for value in column if value is not None]
    summaries = [
        _summary(name, [(d, v) for d, v in zip(dates, column, strict=True) if v is not None], unit, date_label)
        for name, column in series
    ]
    if not dates or not values:
        return LineChart(
            id=chart_id,
            title=title,
            description="No figures have been recorded yet.",
            unit=unit,
            series=[],
            x_ticks=[],
            y_ticks=[],
        )
    low = min(values) if floor is None else min(floor, *values)
    high = max(values)
    if high == low:
        high = low + 1
    step = _nice_step(high - low)
    low = (low / step).to_integral_value(ROUND_FLOOR) * step
    high = (high / step).to_integral_value(ROUND_CEILING) * step
    plot_left, plot_right, plot_top, plot_bottom = LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM
    first, last = dates[0].toordinal(), dates[-1].toordinal()

    def x_of(date: datetime.date) -> float:
        if first == last:
            return round((plot_left + plot_right) / 2, 1)
        return round(plot_left + (date.toordinal() - first) * (plot_right - plot_left) / (last - first), 1)

    def y_of(value: Decimal) -> float:
        return round(plot_bottom - float((value - low) / (high - low)) * (plot_bottom - plot_top), 1)

    drawn = []
    for index, (name, column) in enumerate(series):
        segments, current, points = [], [], []
        for date, value in zip(dates, column, strict=True):
            if value is None:
                if current:
                    segments.append(" ".join(current))
                current = []
                continue
            x, y = x_of(date), y_of(value)
            current.append(f"{x},{y}")
            points.append(Point(x, y, f"{name}, {date_label(date)}: {_format(value, unit)}"))
        if current:
            segments.append(" ".join(current))
        drawn.append(Series(name, index + 1, MARKERS[index % len(MARKERS)], segments, points))

    x_ticks = _date_ticks([Tick(x_of(date), date_label(date)) for date in dates])
    count = int((high - low) / step)
    y_ticks = [Tick(y_of(low + i * step), _tick_label(low + i * step)) for i in range(count + 1)]
    span = f"{len(dates)} {x_noun} from {date_label(dates[0])} to {date_label(dates[-1])}."
    return LineChart(
        id=chart_id,
        title=title,
        description=" ".join([span, *summaries, "The same figures are in the table below the chart."]),
        unit=unit,
        series=drawn,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
    )


# The charts of the compliance pages ------------------------------------------------------------------------


def dublin_charts(records, kind: str) -> list[LineChart]:
    """Acceptance and transfer rates, and the average delays, of Dublin-performance ``records`` (oldest first)."""
    dates = [r.period_start for r in records]
    label = period_label(kind)
    return [
        line_chart(
            chart_id="dublin-rates",
            title="Acceptance and transfer rates",
            unit="%",
            dates=dates,
            series=[
                ("Acceptance rate", [r.acceptance_rate for r in records]),
                ("Transfer rate", [r.transfer_rate for r in records]),
            ],
            date_label=label,
        ),
        line_chart(
            chart_id="dublin-delays",
            title="Average delays",
            unit="days",
            dates=dates,
            series=[
                ("Reply to a request", [r.average_reply_days for r in records]),
                ("Transfer after acceptance", [r.average_transfer_days for r in records]),
            ],
            date_label=label,
        ),
    ]


def secondary_chart(records, kind: str) -> LineChart:
    """Secondary movements and reception occupancy of secondary-movement ``records`` (oldest first)."""
    return line_chart(
        chart_id="secondary-movements",
        title="Secondary movements and reception",
        unit="%",
        dates=[r.period_start for r in records],
        series=[
            ("Applications from secondary movements", [r.secondary_movement_share_percent for r in records]),
            ("Reception occupancy", [r.reception_occupancy_percent for r in records]),
        ],
        date_label=period_label(kind),
    )


def benchmark_chart(benchmark) -> LineChart:
    """A benchmark's prefetched measurements against the planned line from its baseline to its target."""
    measurements = list(benchmark.measurements.all())
    dates = sorted({benchmark.baseline_date, benchmark.due_date, *(m.date for m in measurements)})
    measured = {m.date: m.value for m in measurements}
    return line_chart(
        chart_id="benchmark-progress",
        title=f"{benchmark.indicator}: measured values against the line to the target",
        unit=benchmark.unit,
        dates=dates,
        series=[
            ("Planned line from baseline to target", [planned_value(benchmark, d) for d in dates]),
            ("Measured", [measured.get(d) for d in dates]),
        ],
        date_label=lambda d: f"{d.day} {d:%b %Y}",
        floor=None,
        x_noun="dates",
    )
