"""A compliance officer confirms the finding of systemic shortcomings on Greece; Belgium's official then
declines an activation towards Greece on Art. 60(3) grounds, linked to that finding; an auditor finds both.
"""

import re
from decimal import Decimal

import pytest

from pledges.implementation.services import activation_propose
from pledges.pledging.models import Pledge
from solidarity.accounts.models import User
from solidarity.domain.models import MemberState
from tests.e2e.helpers import (
    activate,
    audit_log_for,
    check_page_and_keyboard,
    choose_radio,
    find_row,
    type_into,
)

pytestmark = pytest.mark.django_db(transaction=True)

CONFIRM_REASON = "The Commission's assessment of 10 November confirms the shortcomings"
DECLINE_REASON = "Declined under Art. 60(3) while the finding on Greece stands"
EXPLANATION = "Belgium will contribute once the take-back replies meet the time limits again."


@pytest.fixture
def activation_towards_greece(demo):
    """The coordinator's call of part of Belgium's 2026 contribution towards Greece, still unanswered."""
    pledge = Pledge.objects.get(cycle__year=2026, member_state_id="BE", kind="financial")
    return activation_propose(
        pledge=pledge,
        benefitting_state=MemberState.objects.get(code="EL"),
        amount=Decimal("2000000.00"),
        actor=User.objects.get(username="coordinator"),
        reason="Second call towards Greece (Art. 60(2))",
    )


def test_finding_confirmed_then_an_activation_declined_on_art_60_3(new_page, activation_towards_greece):
    activation_id = str(activation_towards_greece.pk)

    page = new_page("compliance")
    activate(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Compliance"))
    check_page_and_keyboard(page, "compliance-01-overview")
    activate(page, page.get_by_role("link", name="Greece (EL)", exact=True))
    check_page_and_keyboard(page, "compliance-02-greece")
    activate(page, page.get_by_role("link", name="Take-back replies and transfers"))
    assert "Under assessment" in page.locator(".lead").inner_text()
    check_page_and_keyboard(page, "compliance-03-finding")
    form = page.locator("form[action$='/transition/']")
    choose_radio(page, form.get_by_role("group", name=re.compile("What to do")), re.compile("^Confirm"))
    type_into(page, form.get_by_label("Reason for this change"), CONFIRM_REASON)
    activate(page, form.get_by_role("button", name="Apply"))
    assert "Confirmed" in page.locator(".lead").inner_text()
    effect = page.locator("section[aria-labelledby='effect-heading']").inner_text()
    assert "1 still proposed may be declined on that ground" in effect, effect
    check_page_and_keyboard(page, "compliance-04-finding-confirmed")

    # Belgium's official is told, and declines the activation still proposed towards Greece.
    official = new_page("be_official")
    banner = official.locator("aside.finding-banner")
    assert "Greece (EL)" in banner.inner_text() and "may decline" in banner.inner_text()
    check_page_and_keyboard(official, "compliance-05-official-banner")
    activate(official, official.get_by_role("navigation", name="Main").get_by_role("link", name="Activations"))
    activate(official, official.get_by_role("link", name=f"Activation {activation_id}", exact=True))
    assert "Belgium towards Greece" in official.get_by_role("heading", level=1).inner_text()
    check_page_and_keyboard(official, "compliance-06-official-activation")
    answer = official.locator("form[action$='/answer/']")
    choose_radio(official, answer.get_by_role("group", name=re.compile("Your answer")), "Decline the activation")
    choose_radio(official, answer.get_by_role("group", name=re.compile("Ground of a decline")), re.compile("Systemic"))
    type_into(official, answer.get_by_label("Explanation of a decline"), EXPLANATION)
    type_into(official, answer.get_by_label("Reason for this change"), DECLINE_REASON)
    activate(official, answer.get_by_role("button", name="Send the answer"))
    assert "Declined" in official.locator(".lead").inner_text()
    main = official.locator("main").inner_text()
    assert "Art. 60(3)" in main and EXPLANATION in main
    check_page_and_keyboard(official, "compliance-07-official-declined")

    # The finding relied on is one link away, and lists the decline made on it.
    activate(official, official.locator("main dl").get_by_role("link", name="Take-back replies and transfers"))
    declined = official.get_by_role("region", name=re.compile("Activations declined on this finding"))
    assert "Belgium (BE)" in declined.inner_text() and EXPLANATION in declined.inner_text()
    check_page_and_keyboard(official, "compliance-08-finding-with-decline")

    auditor = new_page("auditor")
    rows = audit_log_for(auditor, transition="confirm")
    find_row(rows, who="compliance", object="Finding", what="confirm", reason=re.escape(CONFIRM_REASON))
    rows = audit_log_for(auditor, user="be_official")
    find_row(
        rows, who="be_official", object=f"Activation {activation_id}", what="decline", reason=re.escape(DECLINE_REASON)
    )
    find_row(rows, who="be_official", object="Pledge", what="release", reason=re.escape(DECLINE_REASON))
    check_page_and_keyboard(auditor, "compliance-09-audit-log")
    activate(auditor, auditor.get_by_role("link", name=re.compile(f"^Activation {activation_id}")).first)
    history = auditor.locator(".history-table").inner_text()
    assert "systemic_shortcomings" in history or "Systemic" in history
    check_page_and_keyboard(auditor, "compliance-10-audit-activation-history")
