"""An official of Belgium records a financial pledge for 2027 with the keyboard alone; an auditor finds it.

The demo's Belgian draft of 2027 is withdrawn first: a state has one live financial pledge per cycle.
"""

import re

import pytest

from tests.e2e.helpers import (
    activate,
    audit_log_for,
    check_page_and_keyboard,
    choose_radio,
    find_row,
    tab_to,
    type_into,
)

pytestmark = pytest.mark.django_db(transaction=True)

WITHDRAW_REASON = "Replaced by the amount agreed by the federal government"
PLEDGE_REASON = "Financial contribution agreed by the federal government on 20 November"


def test_official_records_a_financial_pledge_and_an_auditor_finds_it(new_page):
    page = new_page("be_official")
    check_page_and_keyboard(page, "official-01-dashboard")

    activate(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Pledges"))
    check_page_and_keyboard(page, "official-02-pledges")

    # The delegation's draft of 2027 gives way to the new pledge.
    draft = page.locator("tbody tr").filter(has_text="2027").filter(has_text="Draft")
    activate(page, draft.get_by_role("link"))
    check_page_and_keyboard(page, "official-03-draft")
    withdraw = page.locator("form.transition-form").filter(has=page.get_by_role("heading", name="Withdraw"))
    type_into(page, withdraw.get_by_label("Reason for this change"), WITHDRAW_REASON)
    activate(page, withdraw.get_by_role("button", name="Withdraw"))
    assert page.get_by_text(re.compile(r"withdraw done; it is now withdrawn")).is_visible()
    check_page_and_keyboard(page, "official-04-withdrawn")

    activate(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Pledges"))
    activate(page, page.get_by_role("link", name="Record a pledge"))
    check_page_and_keyboard(page, "official-05-new-pledge")
    form = page.locator("form.pledge-form")
    assert form.get_by_label("Cycle").evaluate("el => el.options[el.selectedIndex].label") == "2027 (Pledging exercise)"
    choose_radio(
        page, form.get_by_role("group", name=re.compile("Kind of solidarity measure")), "Financial contribution"
    )
    type_into(page, form.get_by_label("Amount in euros"), "-5000000")
    type_into(page, form.get_by_label("Reason for this change"), PLEDGE_REASON)
    activate(page, form.get_by_role("button", name="Save and submit"))

    # Refused in words, at the top and on the field; nothing saved; what was typed is kept.
    summary = page.get_by_role("alert")
    assert "Nothing was saved" in summary.inner_text()
    assert "The amount must be above zero." in summary.inner_text()
    amount = page.locator("form.pledge-form").get_by_label("Amount in euros")
    assert amount.get_attribute("aria-invalid") == "true"
    assert amount.input_value() == "-5000000"
    check_page_and_keyboard(page, "official-06-negative-amount")
    # The summary's link takes the keyboard to the field in error.
    error_link = summary.get_by_role("link", name=re.compile("Amount in euros"))
    tab_to(page, error_link)
    page.keyboard.press("Enter")
    assert amount.evaluate("el => el === document.activeElement")

    form = page.locator("form.pledge-form")
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("12000000")
    assert form.get_by_role("radio", name="Financial contribution").is_checked()
    activate(page, form.get_by_role("button", name="Save and submit"))
    assert page.get_by_text(re.compile(r"Pledge \d+ \(financial contribution\) recorded and submitted")).is_visible()
    heading = page.get_by_role("heading", level=1).inner_text()
    pledge_id = re.search(r"Pledge (\d+)", heading).group(1)
    assert "Submitted" in page.locator(".pledge-facts").inner_text()
    check_page_and_keyboard(page, "official-07-submitted")

    activate(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Pledges"))
    row = page.locator("tbody tr").filter(has=page.get_by_role("link", name=f"Pledge {pledge_id}", exact=True))
    assert re.search(r"2027\s+Belgium \(BE\)\s+Financial contribution\s+EUR 12,000,000.00\s+600.00", row.inner_text())
    assert "Submitted" in row.inner_text()
    withdrawn = page.locator("tbody tr").filter(has_text="2027").filter(has_text="Withdrawn")
    assert withdrawn.count() == 1
    check_page_and_keyboard(page, "official-08-pledges-after")

    # The auditor finds each step: the withdrawal, the new pledge and its submission, with who and why.
    auditor = new_page("auditor")
    rows = audit_log_for(auditor, user="be_official", model="pledges.pledge")
    find_row(rows, who="be_official", what="withdraw", reason=re.escape(WITHDRAW_REASON))
    find_row(rows, who="be_official", object=f"Pledge {pledge_id}", what="^Created", reason=re.escape(PLEDGE_REASON))
    find_row(rows, who="be_official", object=f"Pledge {pledge_id}", what="submit", reason=re.escape(PLEDGE_REASON))
    check_page_and_keyboard(auditor, "official-09-audit-log")
    activate(auditor, auditor.get_by_role("link", name=re.compile(f"^Pledge {pledge_id}")).first)
    assert "12000000" in auditor.locator(".history-table").inner_text().replace(",", "")
    check_page_and_keyboard(auditor, "official-10-audit-pledge-history")
