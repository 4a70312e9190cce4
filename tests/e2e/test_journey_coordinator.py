"""The coordinator adopts the Council act of 2027 and activates the Dutch pledge it made binding; the
Netherlands' official accepts the activation and records what was paid; an auditor finds every step.
"""

import datetime
import re

import pytest

from tests.e2e.helpers import (
    activate,
    audit_log_for,
    check_page_and_keyboard,
    choose_option,
    choose_radio,
    find_row,
    tab_to,
    type_into,
)

pytestmark = pytest.mark.django_db(transaction=True)

ACT = "Council Implementing Decision (EU) 2026/2412"
ADOPT_REASON = "The Council adopted the 2027 pool on 20 November 2026"
PROPOSE_REASON = "Distribution among the benefitting states agreed in the Forum"
ACCEPT_REASON = "Accepted by the Ministry of Asylum and Migration"
FULFIL_REASON = "First instalment paid"
EVIDENCE = "Payment order NL-2027-004"


def test_coordinator_adopts_and_activates_then_the_official_accepts_and_fulfils(new_page):
    page = new_page("coordinator")
    assert page.get_by_role("heading", level=1).inner_text() == "Solidarity cycle 2027"
    check_page_and_keyboard(page, "coordinator-01-dashboard")

    # Adoption: the Council act is recorded, and the submitted Dutch pledge becomes binding (Art. 57).
    form = page.locator("form[action$='/transition/']")
    choose_radio(page, form.get_by_role("group", name=re.compile("Next stage")), re.compile("Council implementing act"))
    type_into(page, form.get_by_label("Council implementing act: reference"), ACT)
    date = form.get_by_label("Council implementing act: date")
    tab_to(page, date)
    date.fill("2026-11-20")  # a date field's segments follow the browser's locale: typed through Playwright
    type_into(page, form.get_by_label("Reason for this change"), ADOPT_REASON)
    activate(page, form.get_by_role("button", name="Apply"))
    message = page.get_by_role("region", name="Messages").inner_text()
    assert "The 2027 cycle moved to its next stage: council act adopted." in message
    assert "1 submitted pledge(s) are now recorded; 1 draft(s) were left untouched." in message
    assert page.locator(".step--current").inner_text().count("Council act adopted") == 1
    check_page_and_keyboard(page, "coordinator-02-adopted")

    activate(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Activations"))
    check_page_and_keyboard(page, "coordinator-03-activations")
    activate(page, page.get_by_role("link", name="Propose an activation"))
    filters = page.locator("form.list-filters")
    choose_option(page, filters.get_by_label("Cycle"), "Solidarity cycle 2027")
    activate(page, filters.get_by_role("button", name="Apply filters"))
    check_page_and_keyboard(page, "coordinator-04-pledges-to-activate")
    rows = page.locator("tbody tr")
    assert rows.count() == 1, "only the Dutch pledge of 2027 is recorded"
    activate(page, rows.get_by_role("link", name=re.compile("Activate")))
    check_page_and_keyboard(page, "coordinator-05-propose")
    form = page.locator("form.service-form")
    choose_option(page, form.get_by_label("Benefitting Member State"), "Italy (IT)")
    type_into(page, form.get_by_label("Amount to activate (euros)"), "5000000")
    type_into(page, form.get_by_label("Reason for this change"), PROPOSE_REASON)
    activate(page, form.get_by_role("button", name="Propose the activation"))
    heading = page.get_by_role("heading", level=1).inner_text()
    assert re.fullmatch(r"Activation \d+: Netherlands towards Italy", heading), heading
    activation_id = re.search(r"\d+", heading).group(0)
    assert "Proposed" in page.locator(".lead").inner_text()
    check_page_and_keyboard(page, "coordinator-06-activation-proposed")

    # The contributing state answers, then records the payment.
    official = new_page("nl_official")
    activate(official, official.get_by_role("navigation", name="Main").get_by_role("link", name="Activations"))
    check_page_and_keyboard(official, "coordinator-07-official-activations")
    activate(official, official.get_by_role("link", name=f"Activation {activation_id}", exact=True))
    check_page_and_keyboard(official, "coordinator-08-official-answer")
    answer = official.locator("form[action$='/answer/']")
    choose_radio(official, answer.get_by_role("group", name=re.compile("Your answer")), "Accept the activation")
    type_into(official, answer.get_by_label("Reason for this change"), ACCEPT_REASON)
    activate(official, answer.get_by_role("button", name="Send the answer"))
    assert "Accepted" in official.locator(".lead").inner_text()
    check_page_and_keyboard(official, "coordinator-09-official-accepted")

    fulfil = official.locator("form[action$='/fulfilment/']")
    assert fulfil.get_by_label("Date carried out").input_value() == datetime.date.today().isoformat()
    type_into(official, fulfil.get_by_label(re.compile("Amount carried out")), "2000000")
    type_into(official, fulfil.get_by_label("Evidence reference"), EVIDENCE)
    type_into(official, fulfil.get_by_label("Reason for this change"), FULFIL_REASON)
    activate(official, fulfil.get_by_role("button", name="Record the fulfilment"))
    facts = official.locator("main").inner_text()
    assert "EUR 2,000,000.00" in facts and EVIDENCE in facts
    assert "Accepted" in official.locator(".lead").inner_text()  # 2 of 5 million: not fulfilled yet
    check_page_and_keyboard(official, "coordinator-10-official-fulfilment")

    # The auditor finds the adoption, the activation, the answer and the payment, each with who and why.
    auditor = new_page("auditor")
    rows = audit_log_for(auditor, user="coordinator")
    find_row(rows, who="coordinator", object="Solidarity cycle", what="adopt", reason=re.escape(ADOPT_REASON))
    find_row(rows, who="coordinator", object="Pledge", what="record", reason=re.escape(ADOPT_REASON))
    find_row(
        rows, who="coordinator", object=f"Activation {activation_id}", what="^Created", reason=re.escape(PROPOSE_REASON)
    )
    find_row(rows, who="coordinator", object="Pledge", what="activate", reason=re.escape(PROPOSE_REASON))
    check_page_and_keyboard(auditor, "coordinator-11-audit-coordinator")
    rows = audit_log_for(auditor, user="nl_official")
    find_row(
        rows, who="nl_official", object=f"Activation {activation_id}", what="accept", reason=re.escape(ACCEPT_REASON)
    )
    find_row(rows, who="nl_official", object="Fulfilment", what="^Created", reason=re.escape(FULFIL_REASON))
    check_page_and_keyboard(auditor, "coordinator-12-audit-official")
