"""Inline SVG charts, drawn on the server: no JavaScript, and nothing the CSP forbids (no style attribute).

Each chart is an ``<svg role="img">`` named by its ``<title>`` and described by its ``<desc>``; the page
puts the same figures in a data table, so no reader depends on the picture. Colour never carries meaning
alone: every bar has its figure written beside it, and every reference line has a label.

``pool_charts`` draws the pool dashboard's three: pledged against the reference numbers, each state's
coverage of its fair share, and each state's implementation pace.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from pledges.implementation import pool

WIDTH = 760
PLOT_X = 200  # left edge of the bars; the row labels sit to its left
PLOT_WIDTH = 400
ROW_HEIGHT = 26
BAR_HEIGHT = 16
MARKER_LABEL_HEIGHT = 15
AXIS_HEIGHT = 30
# Beyond this the scale would crush every other bar: longer bars are cut at the edge, their figure stays.
SCALE_CAP = Decimal(200)


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal | None  # a percentage; None when there is no figure to draw
    text: str  # the figure written next to the bar ("62.50 %", "not public yet")
    tone: str = ""  # a CSS modifier of the bar ("behind", "illustrative")


@dataclass(frozen=True)
class Marker:
    """A vertical reference line across every bar: 100 % of the reference, the share of the year elapsed."""

    value: Decimal
    label: str
    tone: str = "reference"


def _n(value) -> str:
    return f"{Decimal(value):.1f}"


def _scale(bars: Sequence[Bar], markers: Sequence[Marker]) -> Decimal:
    values = [bar.value for bar in bars if bar.value is not None] + [marker.value for marker in markers]
    top = max([Decimal(100), *values])
    step = Decimal(25) if top <= 100 else Decimal(50)
    return min((top / step).to_integral_value(rounding=ROUND_CEILING) * step, SCALE_CAP)


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    bars: Sequence[Bar],
    markers: Sequence[Marker] = (),
) -> SafeString:
    """A horizontal bar chart of percentages, one row per bar, with labelled reference lines."""
    scale = _scale(bars, markers)
    top = MARKER_LABEL_HEIGHT * max(len(markers), 1) + 6
    plot_bottom = top + ROW_HEIGHT * max(len(bars), 1)
    height = plot_bottom + AXIS_HEIGHT

    def x_of(percent: Decimal) -> Decimal:
        return PLOT_X + Decimal(PLOT_WIDTH) * min(max(percent, Decimal(0)), scale) / scale

    step = Decimal(25) if scale <= 100 else Decimal(50)
    ticks = []
    tick = Decimal(0)
    while tick <= scale:
        ticks.append(tick)
        tick += step
    grid = format_html_join(
        "",
        '<line class="pool-chart__grid" x1="{0}" x2="{0}" y1="{1}" y2="{2}"></line>'
        '<text class="pool-chart__tick" x="{0}" y="{3}" text-anchor="middle">{4} %</text>',
        ((_n(x_of(t)), top, plot_bottom, plot_bottom + 18, f"{t:.0f}") for t in ticks),
    )
    rows = []
    for index, bar in enumerate(bars):
        y = top + ROW_HEIGHT * index
        bar_y = y + (ROW_HEIGHT - BAR_HEIGHT) // 2
        text_y = y + ROW_HEIGHT // 2 + 4
        label = format_html(
            '<text class="pool-chart__label" x="{}" y="{}" text-anchor="end">{}</text>',
            PLOT_X - 8,
            _n(text_y),
            bar.label,
        )
        if bar.value is None:
            rows.append(
                format_html(
                    '<g>{}<text class="pool-chart__value pool-chart__value--none" x="{}" y="{}">{}</text></g>',
                    label,
                    PLOT_X + 6,
                    _n(text_y),
                    bar.text,
                )
            )
            continue
        end = x_of(bar.value)
        tones = " ".join(f"pool-chart__bar--{tone}" for tone in bar.tone.split() if tone)
        clipped = " pool-chart__bar--clipped" if bar.value > scale else ""
        # A long bar carries its figure inside, so that the text never runs past the drawing.
        inside = end - PLOT_X > PLOT_WIDTH * Decimal("0.6")
        value = format_html(
            '<text class="pool-chart__value{}" x="{}" y="{}" text-anchor="{}">{}{}</text>',
            " pool-chart__value--inside" if inside else "",
            _n(end - 6 if inside else end + 6),
            _n(text_y),
            "end" if inside else "start",
            bar.text,
            " (beyond the scale)" if clipped else "",
        )
        rows.append(
            format_html(
                "<g><title>{}: {}</title>{}"
                '<rect class="pool-chart__bar {}{}" x="{}" y="{}" width="{}" height="{}"></rect>{}</g>',
                bar.label,
                bar.text,
                label,
                tones,
                clipped,
                PLOT_X,
                _n(bar_y),
                _n(end - PLOT_X),
                BAR_HEIGHT,
                value,
            )
        )
    marker_lines = format_html_join(
        "",
        '<line class="pool-chart__marker pool-chart__marker--{0}" x1="{1}" x2="{1}" y1="{2}" y2="{3}" '
        'stroke-dasharray="6 3"></line>'
        '<text class="pool-chart__marker-label" x="{1}" y="{4}" text-anchor="middle">{5}</text>',
        (
            (marker.tone, _n(x_of(marker.value)), top - 4, plot_bottom, MARKER_LABEL_HEIGHT * (i + 1) - 3, marker.label)
            for i, marker in enumerate(markers)
        ),
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="pool-chart" id="{0}" viewBox="0 0 {1} {2}" '
        'width="{1}" height="{2}" role="img" aria-labelledby="{0}-title {0}-desc" focusable="false">'
        '<title id="{0}-title">{3}</title><desc id="{0}-desc">{4}</desc>'
        '<line class="pool-chart__axis" x1="{5}" x2="{5}" y1="{6}" y2="{7}"></line>{8}{9}{10}</svg>',
        chart_id,
        WIDTH,
        height,
        title,
        description,
        PLOT_X,
        top,
        plot_bottom,
        grid,
        mark_safe("".join(rows)),  # noqa: S308 - each row was built by format_html, which escaped its text
        marker_lines,
    )


# The pool dashboard's charts ------------------------------------------------------------------------------------


def _pct(value) -> str:
    return "no figure" if value is None else f"{value:,.2f} %"


PROGRESS_SHORT = {"relocations": "Relocations", "euros": "Euros", "equivalent": "All, as relocations"}


def _state_label(row: pool.StateImplementation) -> str:
    return row.member_state.code + (" (illustrative)" if row.illustrative else "")


def _progress_chart(overview: pool.PoolOverview) -> dict:
    bars = [Bar(PROGRESS_SHORT[p.key], p.percent, _pct(p.percent)) for p in overview.progress]
    return {
        "table": "table-progress",
        "caption": "Pledged against the reference numbers",
        "svg": bar_chart(
            chart_id="chart-progress",
            title=f"Pool {overview.cycle.year}: pledged against the reference numbers",
            description="; ".join(f"{p.label}: {_pct(p.percent)} of the reference" for p in overview.progress) + ".",
            bars=bars,
            markers=[Marker(Decimal(100), "Reference number")],
        ),
    }


def _coverage_chart(overview: pool.PoolOverview) -> dict:
    bars = []
    for row in overview.in_key_rows:
        if not row.fair.pledges_visible:
            bars.append(Bar(_state_label(row), None, "not public yet"))
        else:
            coverage = row.fair.coverage_percent
            bars.append(Bar(_state_label(row), coverage, _pct(coverage), "illustrative" if row.illustrative else ""))
    shown = [bar for bar in bars if bar.value is not None]
    under = sum(1 for bar in shown if bar.value < 100)
    return {
        "table": "table-states",
        "caption": "Coverage of the fair share by Member State",
        "svg": bar_chart(
            chart_id="chart-coverage",
            title=f"Coverage of each state's fair share, {overview.cycle.year}",
            description=f"Binding pledges (after any deduction), in relocation equivalents, as a percentage of the "
            f"fair share, "
            f"for {len(shown)} states; {under} of them below 100 %.",
            bars=bars,
            markers=[Marker(Decimal(100), "Fair share")],
        ),
    }


def _pace_chart(overview: pool.PoolOverview, paced: list[pool.StateImplementation]) -> dict:
    bars = [
        Bar(
            _state_label(row),
            row.fulfilled_percent,
            f"{_pct(row.fulfilled_percent)}: {row.pace_label.lower()}",
            "behind" if row.pace == pool.PACE_BEHIND else "",
        )
        for row in paced
    ]
    elapsed = overview.elapsed_percent
    markers = [] if elapsed is None else [Marker(elapsed, f"Year elapsed {_pct(elapsed)}", "elapsed")]
    behind = sum(1 for row in paced if row.pace == pool.PACE_BEHIND)
    return {
        "table": "table-states",
        "caption": "Implementation pace by Member State",
        "svg": bar_chart(
            chart_id="chart-pace",
            title=f"Implementation pace, {overview.cycle.year}",
            description=(
                f"Fulfilled share of each state's pledge, against the {_pct(elapsed)} of the implementation "
                f"year elapsed; {behind} of {len(paced)} states behind."
                if elapsed is not None
                else "Fulfilled share of each state's pledge; the implementation year's dates are not recorded."
            ),
            bars=bars,
            markers=markers,
        ),
    }


def pool_charts(overview: pool.PoolOverview) -> dict[str, dict]:
    """The dashboard's charts by name ("progress", and with a per-state table "coverage" and "pace"), each
    with the id of the data table that carries its figures and the caption of that table."""
    result = {"progress": _progress_chart(overview)}
    if not overview.states:
        return result
    result["coverage"] = _coverage_chart(overview)
    paced = [row for row in overview.states if row.implementation_visible and row.fair.pledged_relocation_equivalent]
    if paced:
        result["pace"] = _pace_chart(overview, paced)
    return result
