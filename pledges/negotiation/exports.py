"""The negotiation matrix as a CSV or XLSX file: a row per state and topic with a position the reader sees,
its latest stance and value, and how it moved since the position before it.
"""

from pledges.negotiation.display import STANCE_LABELS, Movement
from pledges.negotiation.selectors import MatrixCell, PositionMatrix
from solidarity.platform import exports

MATRIX_COLUMNS = [
    exports.Column("Code"),
    exports.Column("Member State"),
    exports.Column("Topic"),
    exports.Column("Unit"),
    exports.Column("Stance"),
    exports.Column("Stance rank (0 red line to 5 strong support)", exports.INTEGER),
    exports.Column("Proposed value", exports.EUR),
    exports.Column("Date"),
    exports.Column("Meeting"),
    exports.Column("Previous stance"),
    exports.Column("Previous date"),
    exports.Column("Movement (steps)", exports.INTEGER),
    exports.Column("Change"),
    exports.Column("Visibility"),
    exports.Column("Source"),
    exports.Column("Position id", exports.INTEGER),
]


def _cell_line(state, topic, cell: MatrixCell) -> list:
    latest, previous = cell.latest, cell.previous
    movement = Movement(latest, previous)
    return [
        state.code,
        state.name,
        topic.title,
        topic.unit,
        STANCE_LABELS[latest.stance],
        latest.stance_rank,
        latest.proposed_value,
        latest.date,
        latest.meeting_title or "",
        STANCE_LABELS[previous.stance] if previous else "",
        previous.date if previous else None,
        movement.steps,
        movement.words,
        latest.visibility,
        latest.source,
        latest.pk,
    ]


def _matrix_lines(matrix: PositionMatrix, states):
    for state in states:
        for topic in matrix.topics:
            cell = matrix.cell(state.code, topic.pk)
            if cell is not None:
                yield _cell_line(state, topic, cell)


def matrix_export(export_format: str, matrix: PositionMatrix, states):
    """The response that downloads ``matrix`` (rows of ``states``) as ``export_format`` (csv or xlsx)."""
    return exports.export_response(
        export_format,
        title=f"Negotiation matrix {matrix.cycle.year}",
        columns=MATRIX_COLUMNS,
        rows=_matrix_lines(matrix, states),
    )
