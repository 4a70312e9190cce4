"""A Belgian negotiator records what several delegations said at the Forum's pledging meeting of the 2026
cycle, on one form, then reads the matrix of positions (Belgium's own; its notes of the others stay its own,
on the topic's timeline); an auditor finds the positions recorded.
"""

import re

import pytest

from tests.e2e.helpers import (
    activate,
    audit_log_for,
    check_page_and_keyboard,
    choose_option,
    find_row,
    type_into,
)

pytestmark = pytest.mark.django_db(transaction=True)

REASON = "Positions stated at the pledging meeting, from the delegation's minutes"
ROWS = {
    # delegation: (stance, statement)
    "Belgium": ("Support", "Deductions only for states under pressure, decided by the Council."),
    "Germany": ("Oppose", "No deduction beyond the Council act's list."),
    "Italy": ("Strong support", "Full deductions for states facing a significant migratory situation."),
}


def _row(page, delegation: str):
    return page.locator("table.entry-table tbody tr").filter(
        has=page.get_by_role("rowheader", name=re.compile(delegation))
    )


def _fill_rows(page, *, italy_value: str = "") -> None:
    for delegation, (stance, statement) in ROWS.items():
        row = _row(page, delegation)
        choose_option(page, row.get_by_label(f"Stance, {delegation}"), stance)
        if delegation == "Italy":
            type_into(page, row.get_by_label(f"Proposed value, {delegation}"), italy_value)
        type_into(page, row.get_by_label(f"Statement, {delegation}"), statement)
        type_into(page, row.get_by_label(f"Source, {delegation}"), "Minutes of the Belgian delegation")


def test_negotiator_records_a_round_of_positions_and_reads_the_matrix(new_page):
    page = new_page("be_negotiator")
    # The 2026 cycle's negotiation, reached from the dashboard of that cycle.
    switcher = page.locator("form.cycle-switcher")
    choose_option(page, switcher.get_by_label("Show cycle"), "2026 (In application)")
    activate(page, switcher.get_by_role("button", name="Show"))
    check_page_and_keyboard(page, "negotiator-01-dashboard-2026")
    activate(page, page.get_by_role("link", name="Negotiation in the 2026 cycle"))
    check_page_and_keyboard(page, "negotiator-02-matrix-before")
    activate(
        page,
        page.get_by_role("navigation", name=re.compile("Negotiation, 2026")).get_by_role("link", name="Forum meetings"),
    )
    check_page_and_keyboard(page, "negotiator-03-meetings")
    activate(page, page.get_by_role("link", name=re.compile("pledging meeting")))
    check_page_and_keyboard(page, "negotiator-04-meeting")

    topic = page.locator("form.nego-filter")
    choose_option(page, topic.get_by_label("Set every row to the topic"), "Deductions")
    activate(page, topic.get_by_role("button", name="Set topic"))
    assert (
        _row(page, "Germany").get_by_label("Topic, Germany").evaluate("el => el.selectedOptions[0].label")
        == "Deductions"
    )

    # A wrong value in one row: nothing is saved, and that row says why.
    _fill_rows(page, italy_value="a lot")
    form = page.locator("form.entry-form")
    type_into(page, form.get_by_label("Reason for this batch"), REASON)
    activate(page, form.get_by_role("button", name="Record these positions"))
    assert page.get_by_role("alert").is_visible()
    italy = _row(page, "Italy")
    assert "entry-row--invalid" in (italy.get_attribute("class") or "")
    assert (
        _row(page, "Germany").get_by_label("Stance, Germany").evaluate("el => el.selectedOptions[0].label") == "Oppose"
    )
    check_page_and_keyboard(page, "negotiator-05-meeting-error")

    type_into(page, italy.get_by_label("Proposed value, Italy"), "")
    form = page.locator("form.entry-form")
    if form.get_by_label("Reason for this batch").input_value() != REASON:
        type_into(page, form.get_by_label("Reason for this batch"), REASON)
    activate(page, form.get_by_role("button", name="Record these positions"))
    messages = page.get_by_role("region", name="Messages").inner_text()
    assert re.search(r"\b3 positions?\b", messages), messages
    recorded = page.locator("section[aria-labelledby='recorded-title']").inner_text()
    for _stance, statement in ROWS.values():
        assert statement in recorded
    check_page_and_keyboard(page, "negotiator-06-meeting-recorded")

    activate(
        page,
        page.get_by_role("navigation", name=re.compile("Negotiation, 2026")).get_by_role(
            "link", name="Matrix of positions"
        ),
    )
    matrix = page.locator("table.matrix")
    column = [name.strip() for name in matrix.locator("thead th").all_inner_texts()].index("Deductions")
    for delegation, (stance, _statement) in ROWS.items():
        row = matrix.locator("tbody tr").filter(has=page.get_by_role("rowheader", name=re.compile(delegation)))
        cell = row.locator("th, td").nth(column)
        if delegation == "Belgium":
            assert stance in cell.inner_text(), (delegation, cell.inner_text())
            assert "27 Nov 2025" in cell.inner_text()
        else:
            # What Belgium noted of another delegation stays Belgium's own and is never that state's position in
            # the matrix (AMMR Arts 13-14): it is read on the topic's timeline.
            assert stance not in cell.inner_text(), (delegation, cell.inner_text())
    check_page_and_keyboard(page, "negotiator-07-matrix-after")
    activate(page, page.get_by_role("link", name="Deductions", exact=True))
    assert "No deduction beyond the Council act's list." in page.locator("main").inner_text()
    check_page_and_keyboard(page, "negotiator-08-topic-timeline")

    auditor = new_page("auditor")
    rows = audit_log_for(auditor, user="be_negotiator", model="pledges.position")
    for delegation in ("BE", "DE", "IT"):
        find_row(rows, who="be_negotiator", object=delegation, what="^Created", reason=re.escape(REASON))
    check_page_and_keyboard(auditor, "negotiator-09-audit-log")
