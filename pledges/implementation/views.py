"""Pages of the pool in implementation: the pool dashboard, activations and fulfilment, deductions, offsets.

Objects are read through the selectors scoped to the viewer, so anything outside a user's scope is a 404;
an action the role may not take is a 403; everything else the service refuses (a wrong stage, an amount
beyond the pledge) comes back as a message on the field it concerns, and nothing is written.
"""

import datetime
from collections.abc import Callable
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import F, Q
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from compliance.services import confirmed_finding_for
from pledges.implementation import charts, pool
from pledges.implementation.forms import (
    ActivatablePledgeFilter,
    ActivationAnswerForm,
    ActivationFilter,
    ActivationProposeForm,
    DeductionDecideForm,
    DeductionFilter,
    DeductionRequestForm,
    FulfilmentForm,
    OffsetAnswerForm,
    OffsetFilter,
    OffsetRequestForm,
    in_unit,
)
from pledges.implementation.models import Activation, ActivationStatus, OffsetStatus, ResponsibilityOffset
from pledges.implementation.selectors import activations_visible_to, offset_eligibility, offsets_visible_to
from pledges.implementation.services import (
    activation_propose,
    activation_transition,
    fulfilment_record,
    offset_answer,
    offset_request,
)
from pledges.pledging.models import DeductionRequest, DeductionStatus, Pledge, PledgeKind, PledgeStatus
from pledges.pledging.selectors import deductions_visible_to
from pledges.pledging.services import deduction_decide, deduction_request
from solidarity.domain.fairshare import FairShareError
from solidarity.domain.models import CycleStatus, Designation, DesignationKind, SolidarityCycle
from solidarity.platform import exports
from solidarity.platform.errors import DomainError, NotPermitted
from solidarity.platform.history import object_history
from solidarity.platform.workflow import check_version, lock

PAGE_SIZE = 50
ASSESSMENT_DAYS = 28  # AMMR Art. 62(3): the Commission assesses a deduction request within four weeks
ACTIVATABLE_CYCLES = (CycleStatus.ADOPTED, CycleStatus.IN_APPLICATION)


# Shared plumbing -----------------------------------------------------------------------------------------------


def _cycles() -> list[SolidarityCycle]:
    return list(SolidarityCycle.objects.order_by("-year"))


def _cycle_from_query(request, cycles: list[SolidarityCycle]) -> SolidarityCycle | None:
    raw = request.GET.get("cycle", "").strip()
    if not raw:
        return SolidarityCycle.objects.current()
    if not raw.isdigit():
        raise Http404("A cycle is named by its year.")
    for cycle in cycles:
        if cycle.year == int(raw):
            return cycle
    raise Http404(f"There is no solidarity cycle {raw}.")


class _BadFormat(Exception):
    pass


def _export_format(request) -> str:
    value = request.GET.get("format", "")
    if value and value not in exports.FORMATS:
        raise _BadFormat(value)
    return value


def _bad_format(value: str):
    return HttpResponseBadRequest(f"Unknown format {value!r}: use csv or xlsx.")


def _query_without(request, *names: str) -> str:
    """The current query string minus ``names`` (the page, the format), to build links that keep filters."""
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def _page(request, queryset):
    paginator = Paginator(queryset, PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def _attempt(form, action: Callable):
    """Run ``action`` (a service call); returns (result, None), or (None, HTTP status) with the domain error
    written on the form. A refusal of the role is a 403 page, as for any forbidden action."""
    try:
        return action(), None
    except NotPermitted as error:
        raise PermissionDenied(error.message) from None
    except DomainError as error:
        form.add_domain_error(error)
        return None, error.status


def _locked_at_version(model, pk, version, *, first=None):
    """Lock the row (after ``first``, the row the service locks before it, to keep the services' lock order)
    and refuse a form read at an older version. Call inside ``transaction.atomic``: the service then acts
    on rows no one else can change before it commits."""
    if first is not None:
        lock(*first)
    locked = lock(model, pk)
    check_version(locked, version)
    return locked


def _keep_current_version(form, current_version: int) -> None:
    """After a stale refusal, the re-shown form keeps what the user typed but carries the stored version,
    so that saving again (after checking the stored values) is possible."""
    if form.stale is not None:
        form.data = form.data.copy()
        form.data["version"] = str(current_version)


def _history_context(request, instance) -> dict:
    """The history tab, loaded only when it is open (two queries per page of history)."""
    shown = request.GET.get("tab") == "history" or "history_page" in request.GET
    if not shown:
        return {"tab": "details"}
    try:
        page = max(int(request.GET.get("history_page", "1")), 1)
    except ValueError:
        page = 1
    entries, has_more = object_history(instance, page=page)
    return {"tab": "history", "entries": entries, "has_more": has_more, "next_history_page": page + 1}


def _status_code(status: int | None) -> int:
    return status or 200


# Pool dashboard ------------------------------------------------------------------------------------------------


def _pct(value) -> str:
    return "no figure" if value is None else f"{value:,.2f} %"


PROGRESS_SHORT = {"relocations": "Relocations", "euros": "Euros", "equivalent": "All, as relocations"}


def _pool_charts(overview: pool.PoolOverview) -> dict[str, dict]:
    cycle = overview.cycle
    progress_bars = [charts.Bar(PROGRESS_SHORT[p.key], p.percent, _pct(p.percent)) for p in overview.progress]
    result = {
        "progress": {
            "table": "table-progress",
            "caption": "Pledged against the reference numbers",
            "svg": charts.bar_chart(
                chart_id="chart-progress",
                title=f"Pool {cycle.year}: pledged against the reference numbers",
                description="; ".join(f"{p.label}: {_pct(p.percent)} of the reference" for p in overview.progress)
                + ".",
                bars=progress_bars,
                markers=[charts.Marker(Decimal(100), "Reference number")],
            ),
        }
    }
    if overview.states:
        covered = [row for row in overview.states if row.fair.in_key]
        bars = []
        for row in covered:
            label = row.member_state.code + (" (illustrative)" if row.illustrative else "")
            if not row.fair.pledges_visible:
                bars.append(charts.Bar(label, None, "not public yet"))
            else:
                coverage = row.fair.coverage_percent
                bars.append(charts.Bar(label, coverage, _pct(coverage), "illustrative" if row.illustrative else ""))
        shown = [bar for bar in bars if bar.value is not None]
        under = sum(1 for bar in shown if bar.value < 100)
        result["coverage"] = {
            "table": "table-states",
            "caption": "Coverage of the fair share by Member State",
            "svg": charts.bar_chart(
                chart_id="chart-coverage",
                title=f"Coverage of each state's fair share, {cycle.year}",
                description=f"Pledged relocation equivalents as a percentage of the fair share after deductions, "
                f"for {len(shown)} states; {under} of them below 100 %.",
                bars=bars,
                markers=[charts.Marker(Decimal(100), "Fair share")],
            ),
        }
        paced = [row for row in overview.states if row.fair.pledges_visible and row.fair.pledged_relocation_equivalent]
        pace_bars = [
            charts.Bar(
                row.member_state.code + (" (illustrative)" if row.illustrative else ""),
                row.fulfilled_percent,
                f"{_pct(row.fulfilled_percent)}: {row.pace_label.lower()}",
                "behind" if row.pace == pool.PACE_BEHIND else "",
            )
            for row in paced
        ]
        elapsed = overview.elapsed_percent
        if not paced:
            return result
        markers = [] if elapsed is None else [charts.Marker(elapsed, f"Year elapsed {_pct(elapsed)}", "elapsed")]
        behind = sum(1 for row in paced if row.pace == pool.PACE_BEHIND)
        result["pace"] = {
            "table": "table-states",
            "caption": "Implementation pace by Member State",
            "svg": charts.bar_chart(
                chart_id="chart-pace",
                title=f"Implementation pace, {cycle.year}",
                description=(
                    f"Fulfilled share of each state's pledge, against the {_pct(elapsed)} of the implementation "
                    f"year elapsed; {behind} of {len(paced)} states behind."
                    if elapsed is not None
                    else "Fulfilled share of each state's pledge; the implementation year's dates are not recorded."
                ),
                bars=pace_bars,
                markers=markers,
            ),
        }
    return result


STATE_EXPORT_COLUMNS = [
    exports.Column("Code"),
    exports.Column("Member State"),
    exports.Column("In the key"),
    exports.Column("Share (%)", exports.PERCENT_4),
    exports.Column("Fair share (relocations)", exports.INTEGER),
    exports.Column("Fair share (EUR)", exports.EUR),
    exports.Column("Deduction (%)", exports.PERCENT_2),
    exports.Column("Pledged relocations (persons)", exports.INTEGER),
    exports.Column("Pledged financial (EUR)", exports.EUR),
    exports.Column("Pledged alternative (EUR)", exports.EUR),
    exports.Column("Relocation equivalent", exports.EUR),
    exports.Column("Coverage (%)", exports.PERCENT_2),
    exports.Column("Activated (relocation equivalent)", exports.EUR),
    exports.Column("Fulfilled (relocation equivalent)", exports.EUR),
    exports.Column("Fulfilled (% of pledge)", exports.PERCENT_2),
    exports.Column("Implementation year elapsed (%)", exports.PERCENT_2),
    exports.Column("Pace"),
    exports.Column("Illustrative pledges", exports.INTEGER),
]


def _state_export_row(row: pool.StateImplementation, elapsed) -> list:
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
        row.activated_equivalent if visible else None,
        row.fulfilled_equivalent if visible else None,
        row.fulfilled_percent,
        elapsed,
        row.pace_label,
        row.illustrative if visible else None,
    ]


def _pool_export(export_format: str, table: str, overview: pool.PoolOverview):
    year = overview.cycle.year
    if table == "progress":
        columns = [
            exports.Column("Measure"),
            exports.Column("Unit"),
            exports.Column("Pledged", exports.EUR),
            exports.Column("Reference number", exports.EUR),
            exports.Column("Pledged (% of reference)", exports.PERCENT_2),
        ]
        rows = [[p.label, p.unit, p.pledged, p.reference, p.percent] for p in overview.progress]
        return exports.export_response(
            export_format, title=f"Pool {year} against reference", columns=columns, rows=rows
        )
    if table == "kinds":
        columns = [
            exports.Column("Kind"),
            exports.Column("Unit"),
            exports.Column("Pledges", exports.INTEGER),
            exports.Column("Of which illustrative", exports.INTEGER),
            exports.Column("Pledged", exports.EUR),
            exports.Column("Relocation equivalent", exports.EUR),
            exports.Column("Activated", exports.EUR),
            exports.Column("Fulfilled", exports.EUR),
            exports.Column("Declined activations", exports.INTEGER),
        ]
        rows = [
            [
                k.label,
                k.unit,
                k.pledges,
                k.illustrative,
                k.pledged,
                k.relocation_equivalent,
                k.activated,
                k.fulfilled,
                k.declined,
            ]
            for k in overview.kinds
        ]
        return exports.export_response(export_format, title=f"Pool {year} by kind", columns=columns, rows=rows)
    rows = (_state_export_row(row, overview.elapsed_percent) for row in overview.states)
    return exports.export_response(
        export_format, title=f"Pool {year} by Member State", columns=STATE_EXPORT_COLUMNS, rows=rows
    )


POOL_TABLES = ("progress", "kinds", "states")


@login_required
@require_GET
def pool_dashboard(request):
    """The pool of one cycle against its reference numbers, and each state's pledges and implementation."""
    cycles = _cycles()
    cycle = _cycle_from_query(request, cycles)
    try:
        export_format = _export_format(request)
    except _BadFormat as error:
        return _bad_format(str(error))
    if cycle is None:
        return render(request, "pledges/implementation/pool.html", {"cycles": cycles, "cycle": None})
    overview = pool.pool_overview(cycle, viewer=request.user)
    if export_format:
        table = request.GET.get("table", "states")
        if table not in POOL_TABLES:
            return HttpResponseBadRequest(f"Unknown table {table!r}: use {', '.join(POOL_TABLES)}.")
        if table == "states" and overview.key_error is not None:
            return render(
                request,
                "pledges/implementation/pool.html",
                {"cycles": cycles, "cycle": cycle, "overview": overview},
                status=409,
            )
        return _pool_export(export_format, table, overview)
    in_key = [row for row in overview.states if row.fair.in_key]
    shown = [row for row in in_key if row.fair.pledges_visible]
    totals = {
        "share": sum((row.fair.fair_share.share_percent for row in in_key), Decimal(0)),
        "relocations": sum(row.fair.fair_share.relocations for row in in_key),
        "financial_eur": sum((row.fair.fair_share.financial_eur for row in in_key), Decimal(0)),
        "pledged_relocations": sum(row.fair.pledged_relocations for row in shown),
        "pledged_financial_eur": sum((row.fair.pledged_financial_eur for row in shown), Decimal(0)),
        "pledged_alternative_eur": sum((row.fair.pledged_alternative_eur for row in shown), Decimal(0)),
        "relocation_equivalent": sum((row.fair.pledged_relocation_equivalent for row in shown), Decimal(0)),
        "activated": sum((row.activated_equivalent for row in shown), Decimal(0)),
        "fulfilled": sum((row.fulfilled_equivalent for row in shown), Decimal(0)),
        "partial": len(shown) < len(in_key),
    }
    by_kind = {k.kind: k for k in overview.kinds}
    context = {
        "cycles": cycles,
        "cycle": cycle,
        "overview": overview,
        "charts": _pool_charts(overview),
        "in_key_rows": in_key,
        "outside_rows": [row for row in overview.states if not row.fair.in_key],
        "totals": totals,
        "relocation_total": by_kind[PledgeKind.RELOCATION],
        "financial_total": by_kind[PledgeKind.FINANCIAL],
        "alternative_total": by_kind[PledgeKind.ALTERNATIVE],
        "export_queries": {table: f"cycle={cycle.year}&table={table}" for table in POOL_TABLES},
    }
    return render(request, "pledges/implementation/pool.html", context)


# Activations (AMMR Art. 60) --------------------------------------------------------------------------------------


ACTIVATION_EXPORT_COLUMNS = [
    exports.Column("Id", exports.INTEGER),
    exports.Column("Cycle", exports.INTEGER),
    exports.Column("Contributing state"),
    exports.Column("Kind of pledge"),
    exports.Column("Benefitting state"),
    exports.Column("Unit"),
    exports.Column("Amount activated", exports.EUR),
    exports.Column("Fulfilled", exports.EUR),
    exports.Column("Status"),
    exports.Column("Decline ground"),
    exports.Column("Proposed on"),
    exports.Column("Illustrative pledge"),
]


def _activation_export_row(activation: Activation) -> list:
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


@login_required
@require_GET
def activation_list(request):
    """Activations the viewer may see: all for the coordinator and auditors, else those from or to its state."""
    try:
        export_format = _export_format(request)
    except _BadFormat as error:
        return _bad_format(str(error))
    filters = ActivationFilter(request.GET or None, queryset=activations_visible_to(request.user))
    queryset = filters.qs
    if export_format:
        return exports.export_response(
            export_format,
            title="Activations",
            columns=ACTIVATION_EXPORT_COLUMNS,
            rows=(_activation_export_row(a) for a in queryset),
        )
    return render(
        request,
        "pledges/implementation/activations.html",
        {
            "filters": filters,
            "page_obj": _page(request, queryset),
            "query": _query_without(request, "page", "format"),
            "may_propose": request.user.has_perm("pledges.propose_activation"),
        },
    )


def _activatable_pledges():
    # What remains to activate is the pledge less its live activations (AMMR Art. 60(2)).
    return (
        Pledge.objects.filter(status=PledgeStatus.RECORDED, cycle__status__in=ACTIVATABLE_CYCLES)
        .filter(
            Q(kind=PledgeKind.RELOCATION, activated__lt=F("quantity"))
            | (~Q(kind=PledgeKind.RELOCATION) & Q(activated__lt=F("amount_eur")))
        )
        .select_related("cycle", "member_state", "earmark")
    )


@login_required
@require_GET
def activation_pledges(request):
    """The coordinator's starting point: recorded pledges with something left to activate."""
    if not request.user.has_perm("pledges.propose_activation"):
        raise PermissionDenied("Only the coordinator proposes activations.")
    filters = ActivatablePledgeFilter(request.GET or None, queryset=_activatable_pledges())
    return render(
        request,
        "pledges/implementation/activation_pledges.html",
        {"filters": filters, "page_obj": _page(request, filters.qs), "query": _query_without(request, "page")},
    )


def _under_pressure(cycle) -> list:
    return list(
        Designation.objects.filter(cycle=cycle, kind=DesignationKind.UNDER_PRESSURE)
        .select_related("member_state")
        .order_by("member_state__protocol_order")
    )


@login_required
@require_http_methods(["GET", "POST"])
def activation_propose_view(request, pledge_id: int):
    """The coordinator calls part of a recorded pledge towards a benefitting state (AMMR Art. 60(2))."""
    pledge = (
        Pledge.objects.select_related("cycle", "member_state", "earmark")
        .visible_to(request.user)
        .filter(pk=pledge_id)
        .first()
    )
    if pledge is None:
        raise Http404("No such pledge is visible to you.")
    if not request.user.has_perm("pledges.propose_activation"):
        raise PermissionDenied("Only the coordinator proposes activations.")
    status = None
    if request.method == "POST":
        form = ActivationProposeForm(request.POST, pledge=pledge)
        if form.is_valid():
            data = form.cleaned_data
            activation, status = _attempt(
                form,
                lambda: activation_propose(
                    pledge=pledge,
                    benefitting_state=data["benefitting_state"],
                    amount=data["amount"],
                    actor=request.user,
                    reason=data["reason"],
                ),
            )
            if status is None:
                messages.success(
                    request,
                    f"Activation proposed: {in_unit(pledge.kind, activation.amount)} of {pledge.member_state_id}'s "
                    f"pledge towards {activation.benefitting_state_id}. {pledge.member_state_id} now answers it.",
                )
                return redirect("pledges:activation", pk=activation.pk)
            pledge.refresh_from_db(fields=["activated", "status"])
        else:
            status = 400
    else:
        form = ActivationProposeForm(pledge=pledge)
    return render(
        request,
        "pledges/implementation/activation_propose.html",
        {
            "pledge": pledge,
            "remaining": pledge.measure - pledge.activated,
            "unit_remaining": in_unit(pledge.kind, pledge.measure - pledge.activated),
            "unit_measure": in_unit(pledge.kind, pledge.measure),
            "unit_activated": in_unit(pledge.kind, pledge.activated),
            "activatable": pledge.status == PledgeStatus.RECORDED and pledge.cycle.status in ACTIVATABLE_CYCLES,
            "under_pressure": _under_pressure(pledge.cycle),
            "form": form,
        },
        status=_status_code(status),
    )


def _activation_or_404(request, pk: int) -> Activation:
    activation = (
        activations_visible_to(request.user, Activation.objects.select_related("finding", "proposed_by"))
        .filter(pk=pk)
        .first()
    )
    if activation is None:
        raise Http404("No such activation is visible to you.")
    return activation


def _stale_notice(form, stored) -> dict:
    """The context of ``includes/stale_notice.html``: when ``form`` was refused because the object changed
    meanwhile, the refusal and what is stored now (``stored()`` gives the (label, value) pairs)."""
    stale = form.stale if form is not None else None
    return {"stale": stale, "stored": stored() if stale else None}


def _activation_stored(activation: Activation) -> list:
    return [
        ("Status", activation.get_status_display()),
        ("Amount activated", in_unit(activation.pledge.kind, activation.amount)),
        ("Fulfilled", in_unit(activation.pledge.kind, activation.fulfilled)),
        ("Version", activation.version),
    ]


def _activation_page(request, activation: Activation, *, answer_form=None, fulfilment_form=None, status=None):
    user = request.user
    may_answer = activation.status == ActivationStatus.PROPOSED and user.has_perm(
        "pledges.answer_activation", activation
    )
    may_fulfil = activation.status == ActivationStatus.ACCEPTED and user.has_perm(
        "pledges.record_fulfilment", activation
    )
    if may_answer and answer_form is None:
        answer_form = ActivationAnswerForm(initial={"version": activation.version})
    if may_fulfil and fulfilment_form is None:
        fulfilment_form = FulfilmentForm(initial={"version": activation.version}, activation=activation)
    stale_form = next((f for f in (answer_form, fulfilment_form) if f is not None and f.stale), None)
    context = {
        "activation": activation,
        "pledge": activation.pledge,
        "kind": activation.pledge.kind,
        "amount": in_unit(activation.pledge.kind, activation.amount),
        "fulfilled": in_unit(activation.pledge.kind, activation.fulfilled),
        "remaining": in_unit(activation.pledge.kind, activation.amount - activation.fulfilled),
        "fulfilments": list(activation.fulfilments.select_related("recorded_by")),
        "answer_form": answer_form if may_answer or answer_form is not None else None,
        "fulfilment_form": fulfilment_form if may_fulfil or fulfilment_form is not None else None,
        # Whether an Art. 60(3) decline is open to the contributing state at all, said before it tries.
        "confirmed_finding": (
            confirmed_finding_for(member_state_id=activation.benefitting_state_id, cycle_id=activation.pledge.cycle_id)
            if may_answer
            else None
        ),
        **_stale_notice(stale_form, lambda: _activation_stored(activation)),
        **_history_context(request, activation),
    }
    return render(request, "pledges/implementation/activation_detail.html", context, status=_status_code(status))


@login_required
@require_GET
def activation_detail(request, pk: int):
    return _activation_page(request, _activation_or_404(request, pk))


@login_required
@require_POST
def activation_answer(request, pk: int):
    """The contributing state accepts or declines (Art. 60(3) ground only on a confirmed finding)."""
    activation = _activation_or_404(request, pk)
    if not request.user.has_perm("pledges.answer_activation", activation):
        raise PermissionDenied("Only an official of the contributing state answers an activation.")
    form = ActivationAnswerForm(request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data

        def answer():
            with transaction.atomic():
                locked = _locked_at_version(
                    Activation, activation.pk, data["version"], first=(Pledge, activation.pledge_id)
                )
                return activation_transition(
                    activation=locked,
                    transition=data["transition"],
                    actor=request.user,
                    reason=data["reason"],
                    decline_ground=data["decline_ground"],
                    explanation=data["explanation"],
                )

        answered, status = _attempt(form, answer)
        if status is None:
            verb = "accepted" if answered.status == ActivationStatus.ACCEPTED else "declined"
            messages.success(request, f"Activation {verb}.")
            return redirect("pledges:activation", pk=activation.pk)
        activation = _activation_or_404(request, pk)
        _keep_current_version(form, activation.version)
    return _activation_page(request, activation, answer_form=form, status=status)


@login_required
@require_POST
def activation_fulfilment(request, pk: int):
    """The contributing state records what it carried out under an accepted activation (Art. 60(3))."""
    activation = _activation_or_404(request, pk)
    if not request.user.has_perm("pledges.record_fulfilment", activation):
        raise PermissionDenied("Only an official of the contributing state records its fulfilment.")
    form = FulfilmentForm(request.POST, activation=activation)
    status = 400
    if form.is_valid():
        data = form.cleaned_data

        def record():
            # The activation's version guards against the same transfer being entered twice by two people.
            with transaction.atomic():
                locked = _locked_at_version(Activation, activation.pk, data["version"])
                return fulfilment_record(
                    activation=locked,
                    date=data["date"],
                    amount=data["amount"],
                    evidence_reference=data["evidence_reference"],
                    actor=request.user,
                    reason=data["reason"],
                )

        fulfilment, status = _attempt(form, record)
        if status is None:
            done = (
                " The activation is now fulfilled."
                if fulfilment.activation.status == ActivationStatus.FULFILLED
                else ""
            )
            messages.success(
                request, f"Fulfilment of {in_unit(activation.pledge.kind, fulfilment.amount)} recorded.{done}"
            )
            return redirect("pledges:activation", pk=activation.pk)
        activation = _activation_or_404(request, pk)
        _keep_current_version(form, activation.version)
    return _activation_page(request, activation, fulfilment_form=form, status=status)


# Deductions (AMMR Arts 61-62) -------------------------------------------------------------------------------------


def _assessment_due(deduction: DeductionRequest) -> datetime.date:
    return timezone.localdate(deduction.created_at) + datetime.timedelta(days=ASSESSMENT_DAYS)


DEDUCTION_EXPORT_COLUMNS = [
    exports.Column("Id", exports.INTEGER),
    exports.Column("Cycle", exports.INTEGER),
    exports.Column("Member State"),
    exports.Column("Article"),
    exports.Column("Scope"),
    exports.Column("Requested (%)", exports.PERCENT_4),
    exports.Column("Granted (%)", exports.PERCENT_4),
    exports.Column("Status"),
    exports.Column("Council act"),
    exports.Column("Requested on"),
    exports.Column("Assessment due"),
    exports.Column("Illustrative"),
]


@login_required
@require_GET
def deduction_list(request):
    try:
        export_format = _export_format(request)
    except _BadFormat as error:
        return _bad_format(str(error))
    filters = DeductionFilter(request.GET or None, queryset=deductions_visible_to(request.user))
    queryset = filters.qs
    if export_format:
        rows = (
            [
                d.pk,
                d.cycle.year,
                d.member_state_id,
                d.get_article_display(),
                d.get_scope_display(),
                d.requested_percent,
                d.granted_percent,
                d.get_status_display(),
                d.council_act_reference,
                timezone.localdate(d.created_at),
                _assessment_due(d),
                d.illustrative,
            ]
            for d in queryset
        )
        return exports.export_response(
            export_format, title="Deduction requests", columns=DEDUCTION_EXPORT_COLUMNS, rows=rows
        )
    page_obj = _page(request, queryset)
    for deduction in page_obj:
        deduction.assessment_due = _assessment_due(deduction)
    return render(
        request,
        "pledges/implementation/deductions.html",
        {
            "filters": filters,
            "page_obj": page_obj,
            "query": _query_without(request, "page", "format"),
            "may_request": _may_request_deduction(request.user),
        },
    )


def _may_request_deduction(user) -> bool:
    return bool(user.member_state_id) and user.has_perm(
        "pledges.request_deduction", DeductionRequest(member_state_id=user.member_state_id)
    )


@login_required
@require_http_methods(["GET", "POST"])
def deduction_request_view(request):
    """An official asks for a full or partial deduction of its state's contributions (AMMR Arts 61-62)."""
    if not _may_request_deduction(request.user):
        raise PermissionDenied("Only an official of a Member State requests a deduction for its state.")
    cycles = [c for c in _cycles() if c.status != CycleStatus.CLOSED]
    cycle = _cycle_from_query(request, cycles)
    if cycle is None or cycle.status == CycleStatus.CLOSED:
        raise Http404("There is no open cycle to request a deduction in.")
    status = None
    if request.method == "POST":
        form = DeductionRequestForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            deduction, status = _attempt(
                form,
                lambda: deduction_request(
                    cycle=cycle,
                    article=data["article"],
                    scope=data["scope"],
                    requested_percent=data["requested_percent"],
                    grounds=data["grounds"],
                    actor=request.user,
                    reason=data["reason"],
                ),
            )
            if status is None:
                messages.success(
                    request,
                    f"Deduction requested for {deduction.member_state_id} in {cycle.year}. The Commission assesses "
                    "it within four weeks; the Council decides by implementing act.",
                )
                return redirect("pledges:deduction", pk=deduction.pk)
        else:
            status = 400
    else:
        form = DeductionRequestForm()
    designations = list(
        Designation.objects.filter(cycle=cycle, member_state_id=request.user.member_state_id).order_by("kind")
    )
    return render(
        request,
        "pledges/implementation/deduction_request.html",
        {
            "cycle": cycle,
            "cycles": cycles,
            "form": form,
            "form_action": f"{reverse('pledges:deduction-request')}?cycle={cycle.year}",
            "designations": designations,
        },
        status=_status_code(status),
    )


def _deduction_or_404(request, pk: int) -> DeductionRequest:
    deduction = deductions_visible_to(request.user).filter(pk=pk).first()
    if deduction is None:
        raise Http404("No such deduction request is visible to you.")
    return deduction


def _deduction_page(request, deduction: DeductionRequest, *, form=None, status=None):
    may_decide = deduction.status in (
        DeductionStatus.REQUESTED,
        DeductionStatus.UNDER_ASSESSMENT,
    ) and request.user.has_perm("pledges.decide_deduction", deduction)
    if may_decide and form is None:
        form = DeductionDecideForm(initial={"version": deduction.version}, deduction=deduction)
    context = {
        "deduction": deduction,
        "assessment_due": _assessment_due(deduction),
        "form": form,
        **_stale_notice(
            form,
            lambda: [
                ("Status", deduction.get_status_display()),
                ("Granted (%)", deduction.granted_percent),
                ("Council act", deduction.council_act_reference),
                ("Version", deduction.version),
            ],
        ),
        **_history_context(request, deduction),
    }
    return render(request, "pledges/implementation/deduction_detail.html", context, status=_status_code(status))


@login_required
@require_GET
def deduction_detail(request, pk: int):
    return _deduction_page(request, _deduction_or_404(request, pk))


@login_required
@require_POST
def deduction_decide_view(request, pk: int):
    """The coordinator records the Commission's assessment or the Council's decision (Art. 62(3)-(4))."""
    deduction = _deduction_or_404(request, pk)
    if not request.user.has_perm("pledges.decide_deduction", deduction):
        raise PermissionDenied("Only the coordinator records the decision on a deduction.")
    form = DeductionDecideForm(request.POST, deduction=deduction)
    status = 400
    if form.is_valid():
        data = form.cleaned_data

        def decide():
            with transaction.atomic():
                locked = _locked_at_version(DeductionRequest, deduction.pk, data["version"])
                return deduction_decide(
                    deduction=locked,
                    transition=data["transition"],
                    granted_percent=data["granted_percent"],
                    council_act_reference=data["council_act_reference"],
                    actor=request.user,
                    reason=data["reason"],
                )

        decided, status = _attempt(form, decide)
        if status is None:
            messages.success(request, f"Deduction request {decided.get_status_display().lower()}.")
            return redirect("pledges:deduction", pk=deduction.pk)
        deduction = _deduction_or_404(request, pk)
        _keep_current_version(form, deduction.version)
    return _deduction_page(request, deduction, form=form, status=status)


# Responsibility offsets (AMMR Arts 63, 69) ---------------------------------------------------------------------


def _is_overdue(offset: ResponsibilityOffset, today: datetime.date) -> bool:
    # AMMR Art. 69: the requested state answers within 30 days.
    return offset.status == OffsetStatus.REQUESTED and today > offset.answer_deadline


OFFSET_EXPORT_COLUMNS = [
    exports.Column("Id", exports.INTEGER),
    exports.Column("Cycle", exports.INTEGER),
    exports.Column("Benefitting state"),
    exports.Column("Requested state"),
    exports.Column("Applications requested", exports.INTEGER),
    exports.Column("Applications accepted", exports.INTEGER),
    exports.Column("Requested on"),
    exports.Column("Answer deadline"),
    exports.Column("Answered on"),
    exports.Column("Status"),
    exports.Column("Overdue"),
]


@login_required
@require_GET
def offset_list(request):
    try:
        export_format = _export_format(request)
    except _BadFormat as error:
        return _bad_format(str(error))
    filters = OffsetFilter(request.GET or None, queryset=offsets_visible_to(request.user))
    queryset = filters.qs
    today = timezone.localdate()
    if export_format:
        rows = (
            [
                o.pk,
                o.cycle.year,
                o.benefitting_state_id,
                o.contributing_state_id,
                o.applications_requested,
                o.applications_accepted,
                o.requested_on,
                o.answer_deadline,
                o.answered_on,
                o.get_status_display(),
                _is_overdue(o, today),
            ]
            for o in queryset
        )
        return exports.export_response(
            export_format, title="Responsibility offsets", columns=OFFSET_EXPORT_COLUMNS, rows=rows
        )
    page_obj = _page(request, queryset)
    for offset in page_obj:
        offset.overdue = _is_overdue(offset, today)
    return render(
        request,
        "pledges/implementation/offsets.html",
        {
            "filters": filters,
            "page_obj": page_obj,
            "query": _query_without(request, "page", "format"),
            "may_request": _may_request_offset(request.user),
        },
    )


def _may_request_offset(user) -> bool:
    probe = ResponsibilityOffset(benefitting_state_id=user.member_state_id)
    return user.has_perm("pledges.request_offset", probe)


def _fixed_benefitting_state(user):
    """An official requests for its own state; the coordinator chooses (None)."""
    return None if user.has_perm("pledges.request_offset", ResponsibilityOffset()) else user.member_state


@login_required
@require_http_methods(["GET", "POST"])
def offset_request_view(request):
    """A benefitting state, or the coordinator, asks a contributing state to take applications (Arts 63, 69)."""
    if not _may_request_offset(request.user):
        raise PermissionDenied("Only an official of a benefitting state, or the coordinator, requests offsets.")
    cycles = _cycles()
    cycle = _cycle_from_query(request, cycles)
    if cycle is None:
        raise Http404("No solidarity cycle has been recorded yet.")
    fixed = _fixed_benefitting_state(request.user)
    status = None
    if request.method == "POST":
        form = OffsetRequestForm(request.POST, fixed_benefitting_state=fixed)
        if form.is_valid():
            data = form.cleaned_data
            offset, status = _attempt(
                form,
                lambda: offset_request(
                    cycle=cycle,
                    benefitting_state=fixed or data["benefitting_state"],
                    contributing_state=data["contributing_state"],
                    applications_requested=data["applications_requested"],
                    actor=request.user,
                    reason=data["reason"],
                ),
            )
            if status is None:
                messages.success(
                    request,
                    f"Offset requested from {offset.contributing_state_id}: it answers by "
                    f"{offset.answer_deadline:%d %B %Y} (AMMR Art. 69).",
                )
                return redirect("pledges:offset", pk=offset.pk)
        else:
            status = 400
    else:
        form = OffsetRequestForm(fixed_benefitting_state=fixed)
    return render(
        request,
        "pledges/implementation/offset_request.html",
        {
            "cycle": cycle,
            "cycles": cycles,
            "form": form,
            "fixed_state": fixed,
            "form_action": f"{reverse('pledges:offset-request')}?cycle={cycle.year}",
            "eligibility": offset_eligibility(cycle),
            "state_eligibility": _state_eligibility(cycle, request.user),
        },
        status=_status_code(status),
    )


def _state_eligibility(cycle, user):
    try:
        return [row for row in pool.offset_eligibility_by_state(cycle, viewer=user) if row.threshold_met]
    except FairShareError:
        return None


def _offset_or_404(request, pk: int) -> ResponsibilityOffset:
    offset = offsets_visible_to(request.user).filter(pk=pk).first()
    if offset is None:
        raise Http404("No such offset is visible to you.")
    return offset


def _offset_page(request, offset: ResponsibilityOffset, *, form=None, status=None):
    may_answer = offset.status == OffsetStatus.REQUESTED and request.user.has_perm("pledges.answer_offset", offset)
    if may_answer and form is None:
        form = OffsetAnswerForm(initial={"version": offset.version})
    today = timezone.localdate()
    context = {
        "offset": offset,
        "overdue": _is_overdue(offset, today),
        "days_left": (offset.answer_deadline - today).days,
        "days_overdue": (today - offset.answer_deadline).days,
        "eligibility": offset_eligibility(offset.cycle, contributing_state=offset.contributing_state),
        "form": form,
        **_stale_notice(
            form,
            lambda: [
                ("Status", offset.get_status_display()),
                ("Applications accepted", offset.applications_accepted),
                ("Version", offset.version),
            ],
        ),
        **_history_context(request, offset),
    }
    return render(request, "pledges/implementation/offset_detail.html", context, status=_status_code(status))


@login_required
@require_GET
def offset_detail(request, pk: int):
    return _offset_page(request, _offset_or_404(request, pk))


@login_required
@require_POST
def offset_answer_view(request, pk: int):
    """The requested state (or the coordinator) accepts, accepts fewer, or refuses (AMMR Art. 69)."""
    offset = _offset_or_404(request, pk)
    if not request.user.has_perm("pledges.answer_offset", offset):
        raise PermissionDenied("Only an official of the requested state, or the coordinator, answers an offset.")
    form = OffsetAnswerForm(request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data

        def answer():
            with transaction.atomic():
                locked = _locked_at_version(ResponsibilityOffset, offset.pk, data["version"])
                return offset_answer(
                    offset=locked,
                    transition=data["transition"],
                    applications_accepted=data["applications_accepted"],
                    explanation=data["explanation"],
                    actor=request.user,
                    reason=data["reason"],
                )

        answered, status = _attempt(form, answer)
        if status is None:
            messages.success(request, f"Offset {answered.get_status_display().lower()}.")
            return redirect("pledges:offset", pk=offset.pk)
        offset = _offset_or_404(request, pk)
        _keep_current_version(form, offset.version)
    return _offset_page(request, offset, form=form, status=status)
