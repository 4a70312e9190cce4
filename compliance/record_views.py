"""The pages of the per-period records: Dublin performance (AMMR Part III) and secondary-movement indicators,
each recorded, shown with its history, and edited at the version it was read at."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from compliance.form_views import create_page, detail_url, edit_page, history_context, require_view, state_initial
from compliance.forms import (
    DublinPerformanceEditForm,
    DublinPerformanceForm,
    SecondaryMovementEditForm,
    SecondaryMovementForm,
    field_rows,
)
from compliance.models import DublinPerformance, SecondaryMovementIndicator
from compliance.periods import record_period


@login_required
@require_http_methods(["GET", "POST"])
def dublin_create(request):
    return create_page(
        request,
        form_class=DublinPerformanceForm,
        model=DublinPerformance,
        initial=state_initial(request),
        context={"title": "Record Dublin performance", "back": reverse("compliance:overview")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def dublin_edit(request, pk: int):
    record = get_object_or_404(DublinPerformance.objects.select_related("member_state"), pk=pk)
    return edit_page(
        request,
        record=record,
        form_class=DublinPerformanceEditForm,
        context={"title": f"Edit {record}", "state": record.member_state, "back": detail_url(record)},
    )


@login_required
@require_GET
def dublin_detail(request, pk: int):
    require_view(request)
    record = get_object_or_404(DublinPerformance.objects.select_related("member_state"), pk=pk)
    derived = [
        ("Requests received", record.requests_received),
        ("Requests accepted", record.requests_accepted),
        ("Acceptance rate (%)", record.acceptance_rate),
        ("Transfer rate (%)", record.transfer_rate),
    ]
    context = {
        "title": f"Dublin performance of {record.member_state.name}, {record_period(record)}",
        "record": record,
        "state": record.member_state,
        "fields": field_rows(record, DublinPerformanceEditForm),
        "derived": derived,
        "edit_url": reverse("compliance:dublin-edit", args=[record.pk]),
        "can_manage": request.user.has_perm("compliance.manage", record),
        **history_context(request, record),
    }
    return render(request, "compliance/record_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def secondary_create(request):
    return create_page(
        request,
        form_class=SecondaryMovementForm,
        model=SecondaryMovementIndicator,
        initial=state_initial(request),
        context={"title": "Record secondary-movement indicators", "back": reverse("compliance:overview")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def secondary_edit(request, pk: int):
    record = get_object_or_404(SecondaryMovementIndicator.objects.select_related("member_state"), pk=pk)
    return edit_page(
        request,
        record=record,
        form_class=SecondaryMovementEditForm,
        context={"title": f"Edit {record}", "state": record.member_state, "back": detail_url(record)},
    )


@login_required
@require_GET
def secondary_detail(request, pk: int):
    require_view(request)
    record = get_object_or_404(SecondaryMovementIndicator.objects.select_related("member_state"), pk=pk)
    context = {
        "title": f"Secondary movements towards {record.member_state.name}, {record_period(record)}",
        "record": record,
        "state": record.member_state,
        "fields": field_rows(record, SecondaryMovementEditForm),
        "edit_url": reverse("compliance:secondary-edit", args=[record.pk]),
        "can_manage": request.user.has_perm("compliance.manage", record),
        **history_context(request, record),
    }
    return render(request, "compliance/record_detail.html", context)
