import pytest

from pledges.pledging import services
from solidarity.platform.history import object_history
from tests.factories import CycleFactory

pytestmark = pytest.mark.django_db


def test_history_tab_shows_each_change_with_its_diff_newest_first(be_official, django_assert_max_num_queries):
    cycle = CycleFactory(year=2027, status="pledging")
    pledge = services.pledge_create(
        cycle=cycle, kind="financial", amount_eur="100.00", actor=be_official, reason="First"
    )
    for version, amount in enumerate(["200.00", "300.00"], start=1):
        pledge = services.pledge_update(
            pledge=pledge,
            changes={"amount_eur": amount},
            expected_version=version,
            actor=be_official,
            reason=f"Up {amount}",
        )
    services.pledge_transition(pledge=pledge, transition="submit", actor=be_official, reason="Done")
    with django_assert_max_num_queries(1):
        entries, has_more = object_history(pledge)
    assert not has_more
    assert [e.record.history_change_reason for e in entries] == ["Done", "Up 300.00", "Up 200.00", "First"]
    assert [(c.field, c.old, c.new) for c in entries[0].changes] == [("status", "draft", "submitted")]
    assert [(c.field, str(c.old), str(c.new)) for c in entries[1].changes] == [("amount_eur", "200.00", "300.00")]
    assert entries[3].kind == "created"
    assert entries[0].record.history_transition == "submit"

    first_page, more = object_history(pledge, page=1, page_size=2)
    second_page, no_more = object_history(pledge, page=2, page_size=2)
    assert (len(first_page), more, len(second_page), no_more) == (2, True, 2, False)
    assert second_page[0].changes == entries[2].changes
