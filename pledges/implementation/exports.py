"""The downloads (CSV, XLSX) of the implementation pages: the pool dashboard's three tables, the activations,
the deduction requests and the offsets, each a list of columns and one row per object."""

import datetime

from django.http import HttpResponse
from django.utils import timezone

from pledges.implementation import pool
from pledges.implementation.models import Activation, ResponsibilityOffset
from pledges.implementation.selectors import assessment_due, is_overdue
from pledges.pledging.models import DeductionRequest
from solidarity.platform.exports import EUR, INTEGER, PERCENT_2, PERCENT_4, Column, export_response

# The pool dashboard (``?table=``) ------------------------------------------------------------------------------

POOL_TABLES = ("progress", "kinds", "states")

PROGRESS_COLUMNS = [
    Column("Measure"),
    Column("Unit"),
    Column("Pledged", EUR),
    Column("Reference number", EUR),
    Column("Pledged (% of reference)", PERCENT_2),
]

KIND_COLUMNS = [
    Column("Kind"),
    Column("Unit"),
    Column("Pledges", INTEGER),
    Column("Of which illustrative", INTEGER),
    Column("Pledged", EUR),
    Column("Relocation equivalent", EUR),
    Column("Activated", EUR),
    Column("Fulfilled", EUR),
    Column("Declined activations", INTEGER),
]

STATE_COLUMNS = [
    Column("Code"),
    Column("Member State"),
    Column("In the key"),
    Column("Share (%)", PERCENT_4),
    Column("Fair share (relocations)", INTEGER),
    Column("Fair share (EUR)", EUR),
    Column("Deduction (%)", PERCENT_2),
    Column("Pledged relocations (persons)", INTEGER),
    Column("Pledged financial (EUR)", EUR),
    Column("Pledged alternative (EUR)", EUR),
    Column("Relocation equivalent", EUR),
    Column("Coverage (%)", PERCENT_2),
    Column("Activated (relocation equivalent)", EUR),
    Column("Fulfilled (relocation equivalent)", EUR),
    Column("Fulfilled (% of pledge)", PERCENT_2),
    Column("Implementation year elapsed (%)", PERCENT_2),
    Column("Pace"),
    Column("Illustrative pledges", INTEGER),
]


def _kind_row(total: pool.KindTotal) -> list:
    return [
        total.label,
        total.unit,
        total.pledges,
        total.illustrative,
        total.pledged,
        total.relocation_equivalent,
        total.activated,
        total.fulfilled,
        total.declined,
    ]


def _state_row(row: pool.StateImplementation, elapsed) -> list:
    # A state's pledge figures are left empty where the viewer may not see its pledges yet (AMMR Art. 57).
    fair, share = row.fair, row.fair.fair_share
    visible = fair.pledges_visible
    return [
        row.member_state.code,
        row.member_state.name,
        fair.in_key,
        share.share_percent if share else None,
        share.relocations if share else None,
        share.financial_eur if share else None,
        share.deduction_percent if share else None,
        fair.pledged_relocations if visible else None,
        fair.pledged_financial_eur if visible else None,
        fair.pledged_alternative_eur if visible else None,
        fair.pledged_relocation_equivalent if visible else None,
        fair.coverage_percent,
        # None where the viewer is no party to the state's implementation (AMMR Arts 57, 60).
        row.activated_equivalent,
        row.fulfilled_equivalent,
        row.fulfilled_percent,
        elapsed,
        row.pace_label,
        row.illustrative if visible else None,
    ]


def pool_table(export_format: str, table: str, overview: pool.PoolOverview) -> HttpResponse:
    """One of the dashboard's ``POOL_TABLES`` of ``overview``, as a download."""
    year = overview.cycle.year
    if table == "progress":
        rows = [[p.label, p.unit, p.pledged, p.reference, p.percent] for p in overview.progress]
        return export_response(
            export_format, title=f"Pool {year} against reference", columns=PROGRESS_COLUMNS, rows=rows
        )
    if table == "kinds":
        rows = [_kind_row(total) for total in overview.kinds]
        return export_response(export_format, title=f"Pool {year} by kind", columns=KIND_COLUMNS, rows=rows)
    rows = (_state_row(row, overview.elapsed_percent) for row in overview.states)
    return export_response(export_format, title=f"Pool {year} by Member State", columns=STATE_COLUMNS, rows=rows)


# The lists -----------------------------------------------------------------------------------------------------

ACTIVATION_COLUMNS = [
    Column("Id", INTEGER),
    Column("Cycle", INTEGER),
    Column("Contributing state"),
    Column("Kind of pledge"),
    Column("Benefitting state"),
    Column("Unit"),
    Column("Amount activated", EUR),
    Column("Fulfilled", EUR),
    Column("Status"),
    Column("Decline ground"),
    Column("Proposed on"),
    Column("Illustrative pledge"),
]


def _activation_row(activation: Activation) -> list:
    pledge = activation.pledge
    return [
        activation.pk,
        pledge.cycle.year,
        pledge.member_state_id,
        pledge.get_kind_display(),
        activation.benefitting_state_id,
        pool.KIND_UNITS[pledge.kind],
        activation.amount,
        activation.fulfilled,
        activation.get_status_display(),
        activation.get_decline_ground_display() if activation.decline_ground else "",
        timezone.localdate(activation.created_at),
        pledge.illustrative,
    ]


def activations(export_format: str, queryset) -> HttpResponse:
    rows = (_activation_row(activation) for activation in queryset)
    return export_response(export_format, title="Activations", columns=ACTIVATION_COLUMNS, rows=rows)


DEDUCTION_COLUMNS = [
    Column("Id", INTEGER),
    Column("Cycle", INTEGER),
    Column("Member State"),
    Column("Article"),
    Column("Scope"),
    Column("Requested (%)", PERCENT_4),
    Column("Granted (%)", PERCENT_4),
    Column("Status"),
    Column("Council act"),
    Column("Requested on"),
    Column("Assessment due"),
    Column("Illustrative"),
]


def _deduction_row(deduction: DeductionRequest) -> list:
    return [
        deduction.pk,
        deduction.cycle.year,
        deduction.member_state_id,
        deduction.get_article_display(),
        deduction.get_scope_display(),
        deduction.requested_percent,
        deduction.granted_percent,
        deduction.get_status_display(),
        deduction.council_act_reference,
        timezone.localdate(deduction.created_at),
        assessment_due(deduction),
        deduction.illustrative,
    ]


def deductions(export_format: str, queryset) -> HttpResponse:
    rows = (_deduction_row(deduction) for deduction in queryset)
    return export_response(export_format, title="Deduction requests", columns=DEDUCTION_COLUMNS, rows=rows)


OFFSET_COLUMNS = [
    Column("Id", INTEGER),
    Column("Cycle", INTEGER),
    Column("Benefitting state"),
    Column("Requested state"),
    Column("Applications requested", INTEGER),
    Column("Applications accepted", INTEGER),
    Column("Requested on"),
    Column("Answer deadline"),
    Column("Answered on"),
    Column("Status"),
    Column("Overdue"),
]


def _offset_row(offset: ResponsibilityOffset, today: datetime.date) -> list:
    return [
        offset.pk,
        offset.cycle.year,
        offset.benefitting_state_id,
        offset.contributing_state_id,
        offset.applications_requested,
        offset.applications_accepted,
        offset.requested_on,
        offset.answer_deadline,
        offset.answered_on,
        offset.get_status_display(),
        is_overdue(offset, today),
    ]


def offsets(export_format: str, queryset, *, today: datetime.date) -> HttpResponse:
    rows = (_offset_row(offset, today) for offset in queryset)
    return export_response(export_format, title="Responsibility offsets", columns=OFFSET_COLUMNS, rows=rows)
