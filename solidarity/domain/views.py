"""Server-rendered pages of the cycle: the dashboard and the fair-share table (with its exports)."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from solidarity.domain import services
from solidarity.domain.fairshare import CENT, FairShareError
from solidarity.domain.forms import CycleTransitionForm
from solidarity.domain.models import CycleStatus, Designation, DesignationKind, MemberState, SolidarityCycle, current_of
from solidarity.domain.selectors import FairShareRow, fair_share_table
from solidarity.platform import exports
from solidarity.platform.errors import DomainError


@require_GET
def health(request):
    """Liveness probe: answers without touching the database (the benchmark's floor)."""
    return JsonResponse({"status": "ok"})


# The six stages of a cycle, each with the articles of the AMMR it rests on.
STAGE_ARTICLES = {
    CycleStatus.PREPARATION: "Arts 9-11: annual report and pressure decision",
    CycleStatus.PROPOSED: "Art. 12: the Commission proposes the pool",
    CycleStatus.PLEDGING: "Art. 13: High-Level Forum, pledging exercise",
    CycleStatus.ADOPTED: "Art. 57: Council implementing act, pledges binding",
    CycleStatus.IN_APPLICATION: "Arts 58-60: activation and implementation",
    CycleStatus.CLOSED: "The implementation year is over",
}

DESIGNATION_ARTICLES = {
    DesignationKind.UNDER_PRESSURE: "Art. 11: may benefit from the pool (Art. 58)",
    DesignationKind.AT_RISK: "Art. 11",
    DesignationKind.SIGNIFICANT_SITUATION: "Art. 11: may ask for a deduction (Art. 62)",
}


def _cycle_from_query(request, cycles: list[SolidarityCycle]) -> SolidarityCycle | None:
    raw = request.GET.get("cycle", "").strip()
    if not raw:
        return current_of(cycles)
    if not raw.isdigit():
        raise Http404("A cycle is named by its year.")
    for cycle in cycles:
        if cycle.year == int(raw):
            return cycle
    raise Http404(f"There is no solidarity cycle {raw}.")


def _stages(cycle: SolidarityCycle) -> list[dict]:
    order = list(CycleStatus)
    position = order.index(cycle.status)
    return [
        {
            "label": status.label,
            "articles": STAGE_ARTICLES[status],
            "state": "done" if index < position else "current" if index == position else "todo",
            "number": index + 1,
        }
        for index, status in enumerate(order)
    ]


def _as_date(value):
    """A forum date as stored in the cycle's JSON list: an ISO string, or an object with a "date"."""
    if isinstance(value, dict):
        value = value.get("date", "")
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return str(value)


def _key_dates(cycle: SolidarityCycle) -> list[dict]:
    forum = [_as_date(value) for value in cycle.forum_dates or []]
    return [
        {
            "label": "European Annual Asylum and Migration Report",
            "article": "Art. 9",
            "dates": [cycle.report_date],
            "reference": cycle.report_reference,
        },
        {
            "label": "Decision on migratory pressure",
            "article": "Art. 11",
            "dates": [cycle.pressure_decision_date],
            "reference": cycle.pressure_decision_reference,
        },
        {"label": "Proposal of the Annual Solidarity Pool", "article": "Art. 12", "dates": [cycle.proposal_date]},
        {"label": "High-Level EU Solidarity Forum", "article": "Art. 13", "dates": forum},
        {
            "label": "Political agreement in the Council",
            "article": "Art. 57",
            "dates": [cycle.political_agreement_date],
        },
        {
            "label": "Council implementing act",
            "article": "Art. 57",
            "dates": [cycle.council_act_date],
            "reference": cycle.council_act_reference,
        },
        {"label": "The pool applies from", "article": "Art. 57", "dates": [cycle.applies_from]},
        {
            "label": "The regulation applies from",
            "article": "Art. 85",
            "dates": [cycle.regulation_applies_from],
            "reference": cycle.regulation_applies_from_source,
        },
        {
            "label": "Deadline to implement non-financial pledges",
            "article": "Art. 60(3)",
            "dates": [cycle.implementation_deadline],
        },
    ]


def _designations_by_kind(cycle: SolidarityCycle) -> list[dict]:
    designations = Designation.objects.filter(cycle=cycle).select_related("member_state")
    groups = {kind: [] for kind in DesignationKind}
    for designation in designations.order_by("member_state__protocol_order"):
        groups[designation.kind].append(designation)
    return [
        {"kind": kind, "label": kind.label, "article": DESIGNATION_ARTICLES[kind], "designations": groups[kind]}
        for kind in DesignationKind
    ]


def _dashboard(request, cycle: SolidarityCycle | None, cycles: list, *, transition_form=None, status: int = 200):
    context = {"cycles": cycles, "cycle": cycle}
    if cycle is not None:
        if transition_form is None and request.user.has_perm("solidarity.manage_cycle", cycle):
            transition_form = CycleTransitionForm(cycle=cycle)
        context.update(
            stages=_stages(cycle),
            key_dates=_key_dates(cycle),
            designation_groups=_designations_by_kind(cycle),
            transition_form=transition_form,
        )
    return render(request, "solidarity/dashboard.html", context, status=status)


@login_required
@require_GET
def dashboard(request):
    cycles = list(SolidarityCycle.objects.order_by("-year"))
    return _dashboard(request, _cycle_from_query(request, cycles), cycles)


@login_required
@require_POST
def cycle_transition(request, year: int):
    """The coordinator moves the cycle to its next stage (on the dashboard); a refusal is shown on the form."""
    cycles = list(SolidarityCycle.objects.order_by("-year"))
    cycle = next((candidate for candidate in cycles if candidate.year == year), None)
    if cycle is None:
        raise Http404(f"There is no solidarity cycle {year}.")
    if not request.user.has_perm("solidarity.manage_cycle", cycle):
        raise PermissionDenied("Only the coordinator moves a cycle through its stages.")
    form = CycleTransitionForm(request.POST, cycle=cycle)
    if not form.is_valid():
        return _dashboard(request, cycle, cycles, transition_form=form, status=400)
    data = form.cleaned_data
    try:
        outcome = services.cycle_transition(
            cycle=cycle,
            transition=data["transition"],
            actor=request.user,
            reason=data["reason"],
            council_act_reference=data.get("council_act_reference", ""),
            council_act_date=data.get("council_act_date"),
        )
    except DomainError as error:
        form.add_domain_error(error)
        return _dashboard(request, cycle, cycles, transition_form=form, status=error.status)
    message = f"The {year} cycle moved to its next stage: {outcome.cycle.get_status_display().lower()}."
    if data["transition"] == "adopt":
        drafts = outcome.drafts_left or []
        message += f" {outcome.recorded_pledges} submitted pledge(s) are now recorded"
        message += f"; {len(drafts)} draft(s) were left untouched." if drafts else "."
    messages.success(request, message)
    return redirect(f"{reverse('dashboard')}?cycle={year}")


@login_required
@require_GET
def current_fair_shares(request):
    """The navigation's "Fair shares": the table of the current cycle."""
    cycle = SolidarityCycle.objects.current()
    if cycle is None:
        messages.info(request, "No solidarity cycle has been recorded yet, so there are no fair shares to show.")
        return redirect("dashboard")
    return redirect("fair-shares", year=cycle.year)


# Fair-share table ---------------------------------------------------------------------------------------

TEXT, PERCENT, POINTS, INTEGER, EUR, DECIMAL = "text", "percent", "points", "integer", "eur", "decimal"
_PLACES = {PERCENT: 4, POINTS: 4, INTEGER: 0, EUR: 2, DECIMAL: 2}
_XLSX_FORMATS = {
    PERCENT: exports.PERCENT_4,
    POINTS: "+0.0000;-0.0000;0.0000",
    INTEGER: exports.INTEGER,
    EUR: exports.EUR,
    DECIMAL: exports.EUR,
}


def _fair(attribute: str) -> Callable[[FairShareRow], object]:
    return lambda row: getattr(row.fair_share, attribute) if row.fair_share is not None else None


def _visible(attribute: str) -> Callable[[FairShareRow], object]:
    # Before the Council act a state's pledges are hidden from other delegations (Art. 57): no figure.
    return lambda row: getattr(row, attribute) if row.pledges_visible else None


@dataclass(frozen=True)
class TableColumn:
    key: str
    label: str
    kind: str
    value: Callable[[FairShareRow], object]


FAIR_SHARE_COLUMNS = (
    TableColumn("state", "Member State", TEXT, lambda row: row.member_state.name),
    TableColumn("share", "Share (%)", PERCENT, _fair("share_percent")),
    TableColumn("official_share", "Official share (%)", PERCENT, lambda row: row.official_share_percent),
    TableColumn("difference", "Difference (percentage points)", POINTS, lambda row: row.official_difference),
    TableColumn("relocations", "Fair share (relocations)", INTEGER, _fair("relocations")),
    TableColumn("financial_eur", "Fair share (EUR)", EUR, _fair("financial_eur")),
    # A deduction lowers the state's pledges, not its fair share (AMMR Art. 61(1), 62(1)): the column says how much
    # of them the Council deducted, and the obligation is the fair share itself.
    TableColumn("deduction", gettext_lazy("Pledges deducted by the Council (%)"), DECIMAL, _fair("deduction_percent")),
    TableColumn(
        "obligation_relocations", gettext_lazy("Obligation (relocations)"), INTEGER, _fair("obligation_relocations")
    ),
    TableColumn("obligation_eur", gettext_lazy("Obligation (EUR)"), EUR, _fair("obligation_financial_eur")),
    TableColumn("pledged", "Pledged (relocation equivalent)", DECIMAL, _visible("pledged_relocation_equivalent")),
    TableColumn("coverage", "Coverage (%)", DECIMAL, lambda row: row.coverage_percent),
)
_COLUMNS_BY_KEY = {column.key: column for column in FAIR_SHARE_COLUMNS}


def human_number(value, kind: str) -> str:
    """A figure for people: thousands separators, fixed decimals; signed for a difference."""
    if value is None:
        return ""
    text = number_format(value, decimal_pos=_PLACES[kind], use_l10n=True, force_grouping=True)
    return f"+{text}" if kind == POINTS and value > 0 else text


def _sort_rows(rows: list[FairShareRow], column: TableColumn | None, descending: bool) -> list[FairShareRow]:
    """Rows in the key first, then the others; within each, by ``column`` (else protocol order), empty last."""
    ordered = []
    for group in ([r for r in rows if r.in_key], [r for r in rows if not r.in_key]):
        if column is None:
            ordered += group
            continue
        filled = [r for r in group if column.value(r) is not None]
        empty = [r for r in group if column.value(r) is None]
        filled.sort(key=lambda r: (column.value(r), r.member_state.protocol_order), reverse=descending)
        ordered += filled + empty
    return ordered


def _cell(value, kind: str, *, placeholder: str = "", hidden: bool = False) -> dict:
    """One table cell; ``placeholder`` says in words why a cell has no figure ("not recorded")."""
    return {
        "text": human_number(value, kind) if kind != TEXT else value,
        "numeric": kind != TEXT,
        "placeholder": placeholder if value is None else "",
        "hidden": hidden,
    }


def _display_row(row: FairShareRow) -> dict:
    cells = []
    for column in FAIR_SHARE_COLUMNS[1:]:
        value = column.value(row)
        if column.key in ("pledged", "coverage") and not row.pledges_visible:
            cells.append(_cell(None, column.kind, hidden=True))
        elif value is None and row.in_key and column.key in ("official_share", "difference"):
            cells.append(_cell(None, column.kind, placeholder="not recorded"))
        else:
            # Outside the key there is no fair share; a fully deducted state has no coverage to measure.
            cells.append(_cell(value, column.kind, placeholder="not applicable"))
    return {
        "state": row.member_state,
        "in_key": row.in_key,
        "cells": cells,
        "adjustments": row.indicative_adjustments,
    }


def _totals(rows: list[FairShareRow]) -> dict:
    in_key = [row for row in rows if row.in_key]
    all_visible = all(row.pledges_visible for row in in_key)

    def total(attribute):
        return sum((getattr(row.fair_share, attribute) for row in in_key), Decimal(0))

    pledged = sum((row.pledged_relocation_equivalent for row in in_key if row.pledges_visible), Decimal(0))
    obligation = total("obligation_relocations")
    # Coverage of the key's states together: binding pledges against the fair shares (see coverage_percent).
    fair = total("relocations")
    coverage = (pledged * 100 / fair).quantize(CENT, ROUND_HALF_UP) if all_visible and fair else None
    values = {
        "share": total("share_percent"),
        "relocations": total("relocations"),
        "financial_eur": total("financial_eur"),
        "obligation_relocations": obligation,
        "obligation_eur": total("obligation_financial_eur"),
        "pledged": pledged,
        "coverage": coverage,
    }
    cells = [_cell(values.get(column.key), column.kind) for column in FAIR_SHARE_COLUMNS[1:]]
    return {
        "count": len(in_key),
        "cells": cells,
        "pledges_partial": not all_visible,
        "share_percent": values["share"],
        "relocations": values["relocations"],
    }


def _header(column: TableColumn, sort_key: str, descending: bool) -> dict:
    active = column.key == sort_key
    next_descending = active and not descending
    return {
        "label": column.label,
        "numeric": column.kind != TEXT,
        "aria_sort": ("descending" if descending else "ascending") if active else "",
        "query": f"?sort={column.key}&dir={'desc' if next_descending else 'asc'}",
        "next_direction": "descending" if next_descending else "ascending",
    }


def _export(export_format: str, cycle: SolidarityCycle, rows: list[FairShareRow]):
    columns = [exports.Column("Code"), exports.Column("Member State")]
    columns += [exports.Column(str(c.label), _XLSX_FORMATS.get(c.kind)) for c in FAIR_SHARE_COLUMNS[1:]]
    columns.append(exports.Column("In the key"))
    data = (
        [row.member_state.code, row.member_state.name, *[c.value(row) for c in FAIR_SHARE_COLUMNS[1:]], row.in_key]
        for row in rows
    )
    return exports.export_response(export_format, title=f"Fair shares {cycle.year}", columns=columns, rows=data)


@login_required
@require_GET
def fair_shares(request, year: int):
    """The key of AMMR Art. 66 for one cycle, against what each state pledged; sortable, exportable."""
    cycle = SolidarityCycle.objects.filter(year=year).first()
    if cycle is None:
        raise Http404(f"There is no solidarity cycle {year}.")
    export_format = request.GET.get("format", "")
    if export_format and export_format not in exports.FORMATS:
        return HttpResponseBadRequest(f"Unknown format {export_format!r}: use csv or xlsx.")
    sort_key = request.GET.get("sort", "")
    column = _COLUMNS_BY_KEY.get(sort_key)
    descending = request.GET.get("dir") == "desc"
    context = {"cycle": cycle}
    try:
        rows = fair_share_table(cycle, viewer=request.user)
    except FairShareError as error:
        context.update(
            error=error,
            error_states=list(MemberState.objects.filter(code__in=error.member_states)),
        )
        # An export cannot be made from a key that does not compute: say why, with a non-2xx status.
        return render(request, "solidarity/fair_shares.html", context, status=409 if export_format else 200)
    rows = _sort_rows(rows, column, descending)
    if export_format:
        return _export(export_format, cycle, rows)
    display = [_display_row(row) for row in rows]
    sort_query = f"&sort={column.key}&dir={'desc' if descending else 'asc'}" if column else ""
    context.update(
        headers=[_header(c, column.key if column else "", descending) for c in FAIR_SHARE_COLUMNS],
        in_key_rows=[row for row in display if row["in_key"]],
        outside_rows=[row for row in display if not row["in_key"]],
        totals=_totals(rows),
        sorted_by=str(column.label) if column else "",
        descending=descending,
        some_pledges_hidden=any(not row.pledges_visible for row in rows),
        has_official=any(row.official_share_percent is not None for row in rows),
        csv_query=f"?format=csv{sort_query}",
        xlsx_query=f"?format=xlsx{sort_query}",
    )
    return render(request, "solidarity/fair_shares.html", context)
