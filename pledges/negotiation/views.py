"""Negotiation pages of a cycle's overview: the entry point, the matrix of stances (and its export), and the
comparison of the stances with the pledges.

Every read of positions goes through ``positions_visible_to`` (in ``position_matrix``): a restricted position
reaches only the delegation that recorded it, the coordinator and auditors, on every page and export.
Negotiators record (``pledges.add_position``); officials, the coordinator and auditors read. The timelines,
the meetings and one position have their own modules (``timeline_views``, ``meeting_views``,
``position_views``).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from pledges.negotiation.display import comparison_rows, matrix_rows, quantified_topics
from pledges.negotiation.exports import matrix_export
from pledges.negotiation.forms import ComparisonFilterForm
from pledges.negotiation.pages import cycle_or_404, page_context
from pledges.negotiation.selectors import position_matrix
from solidarity.domain.fairshare import FairShareError
from solidarity.domain.models import SolidarityCycle
from solidarity.domain.selectors import fair_share_table
from solidarity.platform import exports


@login_required
@require_GET
def negotiation_index(request):
    """The navigation's "Negotiation": the matrix of the current cycle."""
    cycle = SolidarityCycle.objects.current()
    if cycle is None:
        messages.info(request, "No solidarity cycle has been recorded yet, so there are no negotiations to show.")
        return redirect("dashboard")
    return redirect("pledges:matrix", year=cycle.year)


@login_required
@require_GET
def matrix(request, year: int):
    """States x topics: each delegation's latest stance, its proposed value and how it moved since before."""
    cycle = cycle_or_404(year)
    export_format = request.GET.get("format", "")
    if export_format and export_format not in exports.FORMATS:
        return HttpResponseBadRequest(f"Unknown format {export_format!r}: use csv or xlsx.")
    table = position_matrix(cycle, viewer=request.user)
    states = table.taking_part()
    if export_format:
        return matrix_export(export_format, table, states)
    context = page_context(cycle, "matrix")
    context.update(
        topics=table.topics,
        rows=matrix_rows(table, states),
        recorded=len(table.cells),
        some_restricted=table.some_restricted,
        csv_query="?format=csv",
        xlsx_query="?format=xlsx",
    )
    return render(request, "pledges/negotiation/matrix.html", context)


@login_required
@require_GET
def comparison(request, year: int):
    """Each state's latest stance beside its counted pledges and coverage (pledges follow AMMR Art. 57)."""
    cycle = cycle_or_404(year)
    filter_form = ComparisonFilterForm(request.GET or None)
    table = position_matrix(cycle, viewer=request.user)
    quantified = quantified_topics(table.topics)
    topics = table.topics if filter_form.all_topics or not quantified else quantified
    context = page_context(cycle, "comparison")
    context.update(
        filter_form=filter_form, topics=topics, no_quantified=not quantified, showing_all=topics is table.topics
    )
    try:
        pledges = fair_share_table(cycle, viewer=request.user)
    except FairShareError as error:
        context.update(error=error, error_states=[s for s in table.states if s.code in error.member_states])
        return render(request, "pledges/negotiation/comparison.html", context)
    rows = comparison_rows(table, pledges, topics)
    context.update(
        rows=rows,
        some_hidden=any(not row["fair"].pledges_visible for row in rows),
        adopted=cycle.pledges_are_public,
    )
    return render(request, "pledges/negotiation/comparison.html", context)
