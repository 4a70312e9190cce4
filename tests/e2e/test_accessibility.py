"""Accessibility sweep: every page reachable from the navigation, as each role sees it, on the demo data.

On each page: axe-core finds no serious or critical WCAG 2.1 A/AA violation, the keyboard alone reaches every
control with a visible focus (tests/e2e/helpers.py), and the page reflows at 320 CSS pixels (WCAG 1.4.10):
nothing scrolls sideways but a data table inside its own scroll region.

Every problem of every page is collected before the test fails, so one run lists them all. The interactive API
documentation (drf-spectacular's Swagger UI) is left out: its own stylesheet and markup are third-party.
"""

import re

import pytest
from django.urls import reverse

from compliance.models import ActionPlan, Benchmark, DublinPerformance, Finding, SecondaryMovementIndicator
from pledges.implementation.models import Activation
from pledges.negotiation.models import ForumMeeting, Position, Topic
from pledges.pledging.models import DeductionRequest, Pledge
from tests.e2e.conftest import login
from tests.e2e.helpers import check_page_and_keyboard

pytestmark = pytest.mark.django_db(transaction=True)

REFLOW_WIDTH = 320


def _pages() -> dict[str, list[str]]:
    """What each role opens: the navigation's pages, and the detail and form pages one link further."""
    be_draft = Pledge.objects.get(cycle__year=2027, member_state_id="BE")
    be_recorded = Pledge.objects.get(cycle__year=2026, member_state_id="BE", kind="financial")
    accepted = Activation.objects.get(pledge=be_recorded)
    proposed = Activation.objects.get(pledge__member_state_id="NL", status="proposed")
    deduction = DeductionRequest.objects.order_by("pk").first()
    finding = Finding.objects.get(member_state_id="EL")
    plan = ActionPlan.objects.get()
    benchmark = Benchmark.objects.order_by("pk").first()
    dublin = DublinPerformance.objects.filter(member_state_id="EL").order_by("period_start").first()
    secondary = SecondaryMovementIndicator.objects.order_by("pk").first()
    meeting = ForumMeeting.objects.get(cycle__year=2026, title__contains="pledging")
    topic = Topic.objects.get(cycle__year=2026, title="Size of the pool")
    restricted = Position.objects.get(member_state_id="BE", visibility="restricted")
    dashboard = reverse("dashboard")
    return {
        # The official sees the most pages: the whole navigation, and the forms of a delegation.
        "be_official": [
            dashboard,
            reverse("fair-shares-current"),
            reverse("pledges:list"),
            reverse("pledges:pool") + "?cycle=2026",
            reverse("pledges:activations"),
            reverse("pledges:negotiation"),
            reverse("compliance:overview"),
            reverse("password_change"),
            reverse("two-factor"),
            reverse("api-tokens"),
            reverse("pledges:detail", args=[be_draft.pk]),
            reverse("pledges:edit", args=[be_draft.pk]),
            reverse("pledges:create"),
            reverse("pledges:activation", args=[accepted.pk]),
            reverse("pledges:activation", args=[accepted.pk]) + "?tab=history",
            reverse("pledges:deductions"),
            reverse("pledges:deduction-request"),
            reverse("pledges:offsets"),
            reverse("pledges:offset-request"),
        ],
        "nl_official": [dashboard, reverse("pledges:activation", args=[proposed.pk])],
        "coordinator": [
            dashboard,
            reverse("scenarios", args=[2027]),
            reverse("pledges:activation-pledges"),
            reverse("pledges:activation-propose", args=[be_recorded.pk]),
            reverse("pledges:deduction", args=[deduction.pk]),
        ],
        "be_negotiator": [
            dashboard,
            reverse("pledges:matrix", kwargs={"year": 2026}),
            reverse("pledges:meetings", kwargs={"year": 2026}),
            reverse("pledges:meeting", kwargs={"year": 2026, "pk": meeting.pk}),
            reverse("pledges:timeline", kwargs={"year": 2026, "code": "BE"}),
            reverse("pledges:timeline", kwargs={"year": 2026, "topic_id": topic.pk}),
            reverse("pledges:comparison", kwargs={"year": 2026}),
            reverse("pledges:position", args=[restricted.pk]),
            reverse("pledges:position-edit", args=[restricted.pk]),
        ],
        "compliance": [
            dashboard,
            reverse("compliance:state", args=["IT"]),
            reverse("compliance:early-warning"),
            reverse("compliance:finding-detail", args=[finding.pk]),
            reverse("compliance:finding-edit", args=[finding.pk]),
            reverse("compliance:finding-create"),
            reverse("compliance:action-plan-detail", args=[plan.pk]),
            reverse("compliance:benchmark-detail", args=[benchmark.pk]),
            reverse("compliance:measurement-create", args=[benchmark.pk]),
            reverse("compliance:dublin-detail", args=[dublin.pk]),
            reverse("compliance:dublin-create"),
            reverse("compliance:secondary-detail", args=[secondary.pk]),
        ],
        "auditor": [
            dashboard,
            reverse("audit:log"),
            reverse("audit:object", args=["pledges.pledge", be_recorded.pk]) + "?as_of=2026-07-01T00:00",
            reverse("pledges:detail", args=[be_recorded.pk]),
        ],
    }


def _name(role: str, path: str) -> str:
    return f"a11y-{role}-" + (re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home")


def _reflow_problem(page, name: str) -> str | None:
    """Sideways scrolling of the whole page at 320 CSS pixels, if any."""
    size = page.viewport_size
    page.set_viewport_size({"width": REFLOW_WIDTH, "height": size["height"]})
    try:
        width = page.evaluate("document.documentElement.scrollWidth")
    finally:
        page.set_viewport_size(size)
    if width > REFLOW_WIDTH + 1:
        return f"{name}: the page is {width} px wide at {REFLOW_WIDTH} px (WCAG 1.4.10)"
    return None


def _sweep(page, name: str, problems: list[str]) -> None:
    try:
        check_page_and_keyboard(page, name)
    except AssertionError as error:
        problems.append(f"{name}: {error}")
    problem = _reflow_problem(page, name)
    if problem:
        problems.append(problem)


def test_every_page_of_each_role(new_page):
    problems: list[str] = []
    for role, paths in _pages().items():
        page = new_page(role)
        # The header links every page has: the navigation, the account pages, the API documentation.
        nav = page.get_by_role("navigation", name="Main")
        assert nav.get_by_role("link", name="API docs").is_visible()
        assert (nav.get_by_role("link", name="Audit log").count() == 1) == (role == "auditor")
        for path in paths:
            response = page.goto(path)
            name = _name(role, path)
            if response.status != 200:
                problems.append(f"{name}: HTTP {response.status}")
                continue
            _sweep(page, name, problems)
    assert problems == [], "\n".join(problems)


def test_login_and_error_pages(new_page):
    problems: list[str] = []
    page = new_page()
    page.goto("/accounts/login/")
    _sweep(page, "a11y-login", problems)
    login(page, "be_official", "not-the-password")
    assert page.get_by_role("alert").is_visible()
    _sweep(page, "a11y-login-refused", problems)

    page = new_page("be_official")
    response = page.goto("/audit/")
    assert response.status == 403
    _sweep(page, "a11y-403", problems)
    response = page.goto("/pledges/999999/")
    assert response.status == 404
    _sweep(page, "a11y-404", problems)
    assert problems == [], "\n".join(problems)
