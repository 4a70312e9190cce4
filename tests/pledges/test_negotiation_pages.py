"""The negotiation pages: matrix, timelines, meetings with quick entry, comparison, one position and its edit."""

import csv
import datetime
import io
import re
from decimal import Decimal

import openpyxl
import pytest

from pledges.negotiation import services
from pledges.negotiation.models import ForumMeeting, Position, Stance, Topic
from pledges.pledging.models import PledgeKind
from solidarity.domain.models import MemberState
from tests.factories import CycleFactory, PledgeFactory, UserFactory, state

pytestmark = pytest.mark.django_db

REASON = "Minutes of the forum"
SECRET = "BE-ONLY: would accept 25 000 if Dublin conditionality holds"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
BASE = "/pledges/negotiation"


@pytest.fixture
def cycle(db):
    return CycleFactory(year=2026, status="pledging")


@pytest.fixture
def pool_size(cycle):
    return Topic.objects.create(cycle=cycle, title="Size of the pool", unit="relocations in the pool", order=0)


@pytest.fixture
def dublin(cycle):
    return Topic.objects.create(cycle=cycle, title="Dublin compliance as a condition", order=1)


@pytest.fixture
def meetings(cycle):
    return [
        ForumMeeting.objects.create(cycle=cycle, level="high", date=datetime.date(2025, 11, 18), title="HLF first"),
        ForumMeeting.objects.create(cycle=cycle, level="high", date=datetime.date(2025, 11, 27), title="HLF pledging"),
    ]


@pytest.fixture
def restricted_case(pool_size, meetings, be_negotiator):
    """HU's shared red line, then a restricted update only BE (who recorded it) may read."""
    shared = record(be_negotiator, pool_size, meetings[0], "HU", "red_line", statement="No relocations at all.")
    restricted = record(
        be_negotiator,
        pool_size,
        meetings[1],
        "HU",
        "oppose",
        visibility="restricted",
        statement=SECRET,
        source="BE bilateral read-out",
        proposed_value=Decimal("25000"),
    )
    return shared, restricted


def record(actor, topic, meeting, code, stance, visibility="shared", **extra):
    return services.position_create(
        cycle=topic.cycle,
        actor=actor,
        reason=REASON,
        topic=topic,
        member_state=state(code),
        meeting=meeting,
        stance=stance,
        visibility=visibility,
        **extra,
    )


def html(response) -> str:
    return response.content.decode()


def row_of(page: str, code: str) -> str:
    """The table row whose header names the state ``code``."""
    match = re.search(rf'<th scope="row"><a href="[^"]*/states/{code}/">.*?</tr>', page, re.DOTALL)
    assert match, f"no row for {code}"
    return match.group(0)


def cells_of(row: str) -> list[str]:
    return re.findall(r"<td[^>]*>.*?</td>", row, re.DOTALL)


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def matrix_url(cycle, **query) -> str:
    url = f"{BASE}/{cycle.year}/matrix/"
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


# The matrix -------------------------------------------------------------------------------------------------


def test_matrix_shows_the_latest_stance_its_value_and_how_it_moved(
    client, pool_size, dublin, meetings, be_negotiator, nl_official
):
    record(be_negotiator, pool_size, meetings[0], "BE", "oppose")
    latest = record(be_negotiator, pool_size, meetings[1], "BE", "support", proposed_value=Decimal("30000"))
    record(be_negotiator, dublin, meetings[1], "BE", "strong_support")
    record(be_negotiator, pool_size, meetings[0], "DE", "support")
    record(be_negotiator, pool_size, meetings[1], "DE", "reserve")
    client.force_login(nl_official)
    response = client.get(matrix_url(pool_size.cycle))
    assert response.status_code == 200
    page = html(response)
    assert "<caption" in page and "How to read the stances" in page
    be_pool, be_dublin = cells_of(row_of(page, "BE"))
    # Colour (a class per stance) and the word, the value in the topic's unit, the arrow with words.
    assert 'class="stance-cell stance--support"' in be_pool and ">Support</a>" in be_pool
    assert f'href="{BASE}/positions/{latest.pk}/"' in be_pool
    assert "30,000 relocations in the pool" in be_pool
    assert re.search(r'<span aria-hidden="true">▲</span> up 3 from oppose', be_pool)
    assert "stance--strong-support" in be_dublin and "first position recorded" in be_dublin
    de_pool, de_dublin = cells_of(row_of(page, "DE"))
    assert "stance--reserve" in de_pool and "down 2 from support" in de_pool
    assert "No position recorded" in de_dublin
    # Every EU Member State has a row, in protocol order; Dublin-associated states only once they speak.
    codes = re.findall(r'<th scope="row"><a href="[^"]*/states/([A-Z]{2})/">', page)
    assert codes == list(MemberState.objects.filter(eu_member=True).values_list("code", flat=True))


def test_matrix_exports_the_latest_positions_as_csv_and_xlsx(client, pool_size, meetings, be_negotiator, coordinator):
    record(be_negotiator, pool_size, meetings[0], "FR", "neutral")
    record(be_negotiator, pool_size, meetings[1], "FR", "strong_support", proposed_value=Decimal("30000.50"))
    client.force_login(coordinator)
    response = client.get(matrix_url(pool_size.cycle, format="csv"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    (row,) = csv_rows(response)
    assert (row["Code"], row["Topic"], row["Stance"], row["Proposed value"]) == (
        "FR",
        "Size of the pool",
        "Strong support",
        "30000.50",
    )
    assert (row["Previous stance"], row["Movement (steps)"], row["Change"]) == ("Neutral", "2", "up 2 from neutral")
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(matrix_url(pool_size.cycle, format="xlsx")).content)).active
    header, values = list(sheet.iter_rows(values_only=True))
    assert dict(zip(header, values, strict=True))["Proposed value"] == 30000.5
    assert client.get(matrix_url(pool_size.cycle, format="pdf")).status_code == 400


def test_negotiation_link_opens_the_current_cycles_matrix(client, cycle, be_official):
    client.force_login(be_official)
    response = client.get(f"{BASE}/")
    assert response.status_code == 302 and response.url == matrix_url(cycle)
    page = html(client.get(matrix_url(cycle)))
    assert f'href="{BASE}/" aria-current="page">Negotiation' in page
    assert client.get(f"{BASE}/1999/matrix/").status_code == 404


@pytest.mark.parametrize(
    "path", ["/", "/2026/matrix/", "/2026/matrix/?format=csv", "/2026/meetings/", "/2026/comparison/"]
)
def test_every_negotiation_page_requires_login(client, cycle, path):
    response = client.get(BASE + path)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


# Restricted positions ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("reader", ["nl_negotiator", "nl_official", "outsider"])
def test_restricted_positions_never_reach_another_delegation(request, client, restricted_case, meetings, reader):
    shared, restricted = restricted_case
    client.force_login(request.getfixturevalue(reader))
    year = shared.cycle.year
    matrix = html(client.get(matrix_url(shared.cycle)))
    (hu_pool,) = cells_of(row_of(matrix, "HU"))
    assert "stance--red-line" in hu_pool and "first position recorded" in hu_pool
    assert f"/positions/{restricted.pk}/" not in matrix and "Restricted" not in matrix
    pages = [
        matrix,
        html(client.get(f"{BASE}/{year}/states/HU/")),
        html(client.get(f"{BASE}/{year}/topics/{shared.topic_id}/")),
        html(client.get(f"{BASE}/{year}/meetings/{meetings[1].pk}/")),
        html(client.get(f"{BASE}/{year}/comparison/?topics=all")),
        html(client.get(f"{BASE}/positions/{shared.pk}/")),
    ]
    for page in pages:
        assert SECRET not in page and "BE bilateral read-out" not in page and "25,000" not in page
    meetings_page = html(client.get(f"{BASE}/{year}/meetings/"))
    assert re.search(r"HLF pledging</a></th>.*?<td class=\"num\">0</td>", meetings_page, re.DOTALL)
    assert client.get(f"{BASE}/positions/{restricted.pk}/").status_code == 404
    assert client.get(f"{BASE}/positions/{restricted.pk}/edit/").status_code == 404
    exported = client.get(matrix_url(shared.cycle, format="csv"))
    assert [(r["Code"], r["Stance"], r["Position id"]) for r in csv_rows(exported)] == [
        ("HU", "Red line", str(shared.pk))
    ]
    assert SECRET not in exported.content.decode("utf-8-sig")


@pytest.mark.parametrize("reader", ["be_negotiator", "coordinator", "auditor"])
def test_restricted_positions_reach_the_recording_delegation_and_eu_level_readers(
    request, client, restricted_case, reader
):
    shared, restricted = restricted_case
    client.force_login(request.getfixturevalue(reader))
    (hu_pool,) = cells_of(row_of(html(client.get(matrix_url(shared.cycle))), "HU"))
    assert "stance--oppose" in hu_pool and "up 1 from red line" in hu_pool and "Restricted" in hu_pool
    assert "25,000 relocations in the pool" in hu_pool
    detail = client.get(f"{BASE}/positions/{restricted.pk}/")
    assert detail.status_code == 200 and SECRET in html(detail)
    assert [r["Stance"] for r in csv_rows(client.get(matrix_url(shared.cycle, format="csv")))] == ["Oppose"]


def test_history_of_a_position_made_shared_keeps_its_restricted_past_within_the_delegation(
    client, pool_size, meetings, be_negotiator, nl_negotiator
):
    position = record(be_negotiator, pool_size, meetings[0], "AT", "reserve", visibility="restricted", statement=SECRET)
    services.position_update(
        position=position,
        changes={"visibility": "shared", "statement": "Austria keeps a reserve."},
        expected_version=1,
        actor=be_negotiator,
        reason="Said in public",
    )
    client.force_login(nl_negotiator)
    page = html(client.get(f"{BASE}/positions/{position.pk}/"))
    assert "Austria keeps a reserve." in page and "Said in public" in page
    assert SECRET not in page and REASON not in page
    assert "(restricted to the recording delegation)" in page
    client.force_login(be_negotiator)
    assert SECRET in html(client.get(f"{BASE}/positions/{position.pk}/"))


# Timelines ---------------------------------------------------------------------------------------------------


def test_state_timeline_lists_each_topic_oldest_first_with_each_change(
    client, pool_size, dublin, meetings, be_negotiator, be_official
):
    record(be_negotiator, pool_size, None, "BE", "reserve", date=datetime.date(2025, 11, 12), statement="Manageable.")
    record(be_negotiator, pool_size, meetings[0], "BE", "oppose")
    record(be_negotiator, pool_size, meetings[1], "BE", "oppose")
    record(be_negotiator, dublin, meetings[0], "BE", "strong_support", conditions="An action plan per state")
    client.force_login(be_official)
    page = html(client.get(f"{BASE}/2026/states/BE/"))
    pool = page[page.index("Size of the pool</a>") : page.index("Dublin compliance as a condition</a>")]
    assert re.findall(r"<time datetime=\"([\d-]+)\"", pool) == ["2025-11-12", "2025-11-18", "2025-11-27"]
    assert re.findall(
        r'<span class="movement movement--\w+"><span aria-hidden="true">.</span> ([^<]+)</span>', pool
    ) == [
        "first position recorded",
        "down 1 from reserve",
        "unchanged since 18 Nov 2025",
    ]
    assert "No meeting" in pool and "HLF first</a>" in pool
    assert "Conditions:</strong> An action plan per state" in page
    # A filter narrows the rows; the change is still measured against the position before.
    filtered = html(client.get(f"{BASE}/2026/states/BE/?level=high&date_from=2025-11-20"))
    assert "1 position shown" in filtered
    assert "unchanged since 18 Nov 2025" in filtered and "2025-11-12" not in filtered


def test_a_long_timeline_comes_in_pages_that_keep_the_change_across_the_break(
    client, pool_size, meetings, be_negotiator, be_official, monkeypatch
):
    monkeypatch.setattr("pledges.negotiation.views.TIMELINE_PAGE_SIZE", 2)
    record(be_negotiator, pool_size, None, "BE", "neutral", date=datetime.date(2025, 11, 1))
    record(be_negotiator, pool_size, meetings[0], "BE", "reserve")
    record(be_negotiator, pool_size, meetings[1], "BE", "strong_support")
    client.force_login(be_official)
    first = html(client.get(f"{BASE}/2026/states/BE/?level="))
    assert "3 positions shown, 1 to 2 on this page" in first and "Page 1 of 2" in first
    assert 'href="?level=&amp;page=2" rel="next"' in first
    assert '<td class="stance-cell stance--strong-support">' not in first
    second = html(client.get(f"{BASE}/2026/states/BE/?level=&page=2"))
    assert "(continued from the previous page)" in second
    assert '<td class="stance-cell stance--strong-support">' in second and "up 3 from reserve" in second
    assert '<td class="stance-cell stance--reserve">' not in second
    assert 'href="?level=&amp;page=1" rel="prev"' in second


def test_topic_timeline_lists_each_state_and_those_without_a_position(
    client, pool_size, meetings, be_negotiator, nl_official
):
    record(be_negotiator, pool_size, meetings[0], "NL", "oppose")
    record(be_negotiator, pool_size, meetings[1], "NL", "support", proposed_value=Decimal("21000"))
    record(be_negotiator, pool_size, meetings[1], "DE", "strong_support")
    client.force_login(nl_official)
    response = client.get(f"{BASE}/2026/topics/{pool_size.pk}/")
    assert response.status_code == 200
    page = html(response)
    assert page.index("Germany (DE)</a>") < page.index("Netherlands (NL)</a>")
    assert "up 3 from oppose" in page and "21,000 relocations in the pool" in page
    silent = page[page.index("Member States without a position on this topic") :]
    assert "Belgium (BE)" in silent and "Germany (DE)" not in silent
    other_cycle_topic = Topic.objects.create(cycle=CycleFactory(year=2027), title="Elsewhere")
    assert client.get(f"{BASE}/2026/topics/{other_cycle_topic.pk}/").status_code == 404


# Meetings and quick entry ---------------------------------------------------------------------------------


def entry_post(client, meeting, rows: dict, *, reason=REASON, topic=None):
    """Post the quick-entry form as a browser would: every fixed row, filled where ``rows`` says."""
    page = html(client.get(f"{BASE}/{meeting.cycle.year}/meetings/{meeting.pk}/"))
    data = {"reason": reason}
    for name, value in re.findall(r'<input type="hidden" name="(rows-[^"]+)" value="([^"]*)"', page):
        data[name] = value
    total = int(data["rows-TOTAL_FORMS"])
    for index in range(total):
        code = data[f"rows-{index}-member_state"]
        values = {"topic": str(topic.pk), "stance": "", "visibility": "shared", **rows.get(code, {})}
        for field, value in values.items():
            data[f"rows-{index}-{field}"] = value
    return client.post(f"{BASE}/{meeting.cycle.year}/meetings/{meeting.pk}/", data)


def test_a_batch_with_one_bad_row_saves_nothing_and_shows_the_error_on_that_row(
    client, pool_size, meetings, be_negotiator
):
    client.force_login(be_negotiator)
    rows = {
        "BE": {"stance": "support", "statement": "Financial contributions only"},
        "NL": {"stance": "enthusiastic"},
        "DE": {"stance": "neutral", "proposed_value": "30000"},
    }
    response = entry_post(client, meetings[0], rows, topic=pool_size)
    assert response.status_code == 200
    assert not Position.objects.exists()
    page = html(response)
    summary = page[page.index('class="error-summary"') : page.index("</div>", page.index('class="error-summary"'))]
    assert "Nothing was saved" in summary and "Netherlands" in summary and "Belgium" not in summary
    nl_index = list(MemberState.objects.values_list("code", flat=True)).index("NL")
    nl_row = re.search(rf'<tr id="row-{nl_index}".*?</tr>', page, re.DOTALL).group(0)
    assert "entry-row--invalid" in nl_row and "Select a valid choice" in nl_row
    assert f'aria-describedby="id_rows-{nl_index}-stance_error"' in nl_row
    assert f'href="#id_rows-{nl_index}-stance"' in summary
    # What the user typed in the other rows is kept.
    assert "Financial contributions only" in page


def test_an_error_the_service_finds_lands_on_its_row_and_nothing_is_saved(client, pool_size, meetings):
    # A negotiator at EU level has no delegation: a restricted position has no one to be restricted to.
    eu_negotiator = UserFactory(username="eu_negotiator", roles=["negotiator"])
    client.force_login(eu_negotiator)
    rows = {"BE": {"stance": "support"}, "FR": {"stance": "oppose", "visibility": "restricted"}}
    response = entry_post(client, meetings[0], rows, topic=pool_size)
    assert response.status_code == 200 and not Position.objects.exists()
    page = html(response)
    fr_index = list(MemberState.objects.values_list("code", flat=True)).index("FR")
    fr_row = re.search(rf'<tr id="row-{fr_index}".*?</tr>', page, re.DOTALL).group(0)
    assert "your account has none" in fr_row
    assert "Row " in page and "France" in page[: page.index("Positions stated at this meeting")]


def test_a_good_batch_records_every_position_at_the_meeting(client, pool_size, dublin, meetings, be_negotiator):
    client.force_login(be_negotiator)
    rows = {
        "BE": {"stance": "support", "source": "Minutes"},
        "NL": {"stance": "strong_support", "topic": str(dublin.pk), "visibility": "restricted"},
        "DE": {"stance": "neutral", "proposed_value": "30000", "conditions": "Balanced"},
    }
    response = entry_post(client, meetings[1], rows, topic=pool_size)
    assert response.status_code == 302
    saved = {p.member_state_id: p for p in Position.objects.all()}
    assert set(saved) == {"BE", "NL", "DE"}
    assert all(p.meeting == meetings[1] and p.date == meetings[1].date for p in saved.values())
    assert (saved["NL"].topic, saved["NL"].visibility, saved["NL"].recorded_by_state_id) == (
        dublin,
        "restricted",
        "BE",
    )
    assert (saved["DE"].proposed_value, saved["DE"].conditions) == (Decimal("30000.00"), "Balanced")
    assert saved["BE"].history.first().history_change_reason == REASON
    page = html(client.get(response.url))
    assert "Recorded 3 positions" in page and "Restricted" in page


def test_an_empty_batch_or_a_stance_less_row_with_a_statement_is_refused(client, pool_size, meetings, be_negotiator):
    client.force_login(be_negotiator)
    assert "choose a stance for at least one delegation" in html(entry_post(client, meetings[0], {}, topic=pool_size))
    response = entry_post(client, meetings[0], {"BE": {"statement": "Said something"}}, topic=pool_size)
    assert "or clear the row" in html(response)
    assert "Give the reason" not in html(response)
    assert not Position.objects.exists()


def test_only_negotiators_see_and_send_the_entry_form(client, pool_size, meetings, be_official, coordinator):
    url = f"{BASE}/2026/meetings/{meetings[0].pk}/"
    for reader in (be_official, coordinator):
        client.force_login(reader)
        page = html(client.get(url))
        assert "Positions stated at this meeting" in page and "Record a round of positions" not in page
        response = client.post(url, {"reason": "x", "rows-TOTAL_FORMS": "0", "rows-INITIAL_FORMS": "0"})
        assert response.status_code == 403
    assert not Position.objects.exists()
    CycleFactory(year=2027)
    assert client.get(f"{BASE}/2027/meetings/{meetings[0].pk}/").status_code == 404


# Comparison with the pledges ---------------------------------------------------------------------------------


def test_comparison_sets_stances_beside_the_pledges_each_reader_may_see(
    client, cycle_with_figures, pool_size, dublin, meetings, be_negotiator, nl_official, coordinator
):
    cycle = cycle_with_figures
    record(be_negotiator, pool_size, meetings[1], "BE", "reserve", proposed_value=Decimal("21000"))
    record(be_negotiator, dublin, meetings[1], "BE", "strong_support")
    PledgeFactory(cycle=cycle, member_state=state("BE"), amount_eur=Decimal("10000000.00"), status="submitted")
    PledgeFactory(cycle=cycle, member_state=state("DE"), kind=PledgeKind.RELOCATION, quantity=2200, status="submitted")
    url = f"{BASE}/{cycle.year}/comparison/"
    client.force_login(coordinator)
    page = html(client.get(url))
    # By default only the topics counted in relocations or euros.
    assert "Size of the pool</a>" in page and "Dublin compliance as a condition</a>" not in page
    be = row_of(page, "BE")
    assert "stance--reserve" in be and "21,000 relocations in the pool" in be
    assert "10,000,000.00" in be and ">500.00<" in be  # EUR 10 million / 20 000 per relocation
    assert ">2,200<" in row_of(page, "DE")
    assert "Dublin compliance as a condition</a>" in html(client.get(url + "?topics=all"))
    # Before the Council act another delegation sees the stances, not BE's pledges (AMMR Art. 57).
    client.force_login(nl_official)
    be = row_of(html(client.get(url)), "BE")
    assert "stance--reserve" in be and "Not public yet" in be and "10,000,000.00" not in be


def test_comparison_explains_a_key_that_cannot_be_computed(client, pool_size, be_official):
    client.force_login(be_official)
    page = html(client.get(f"{BASE}/2026/comparison/"))
    assert "The fair shares cannot be computed" in page


# One position: detail, edit, stale edit -------------------------------------------------------------------------


def test_position_detail_shows_the_position_its_change_and_its_history(client, pool_size, meetings, be_negotiator):
    record(be_negotiator, pool_size, meetings[0], "SE", "neutral")
    position = record(be_negotiator, pool_size, meetings[1], "SE", "support", source="Swedish statement")
    client.force_login(be_negotiator)
    page = html(client.get(f"{BASE}/positions/{position.pk}/"))
    assert "up 1 from neutral" in page and "Swedish statement" in page
    assert 'id="history-heading"' in page and REASON in page
    assert f'href="{BASE}/positions/{position.pk}/edit/"' in page


def test_negotiator_of_the_recording_delegation_edits_a_position(client, pool_size, meetings, be_negotiator):
    position = record(be_negotiator, pool_size, meetings[0], "IT", "oppose")
    client.force_login(be_negotiator)
    form = html(client.get(f"{BASE}/positions/{position.pk}/edit/"))
    assert 'name="version" value="1"' in form and '<option value="oppose" selected>' in form
    data = edit_data(position, stance="reserve", proposed_value="15000", reason="Read-out corrected", version=1)
    response = client.post(f"{BASE}/positions/{position.pk}/edit/", data)
    assert response.status_code == 302 and response.url == f"{BASE}/positions/{position.pk}/"
    position.refresh_from_db()
    assert (position.stance, position.proposed_value, position.version) == ("reserve", Decimal("15000.00"), 2)
    assert position.history.first().history_change_reason == "Read-out corrected"


def edit_data(position, **changes) -> dict:
    data = {
        "topic": str(position.topic_id),
        "member_state": position.member_state_id,
        "meeting": str(position.meeting_id or ""),
        "date": position.date.isoformat(),
        "stance": position.stance,
        "proposed_value": "" if position.proposed_value is None else str(position.proposed_value),
        "conditions": position.conditions,
        "statement": position.statement,
        "source": position.source,
        "visibility": position.visibility,
        "reason": "Edit",
        "version": str(position.version),
    }
    data.update({key: str(value) for key, value in changes.items()})
    return data


def test_a_stale_edit_is_refused_with_the_stored_values(client, pool_size, meetings, be_negotiator):
    position = record(be_negotiator, pool_size, meetings[0], "PL", "oppose")
    colleague = UserFactory(username="be_negotiator_2", member_state=state("BE"), roles=["negotiator"])
    services.position_update(
        position=position,
        changes={"stance": "red_line", "statement": "PL refuses any relocation"},
        expected_version=1,
        actor=colleague,
        reason="New read-out",
    )
    client.force_login(be_negotiator)
    url = f"{BASE}/positions/{position.pk}/edit/"
    mine = edit_data(position, stance="neutral", statement="My version", version=1)
    response = client.post(url, mine)
    assert response.status_code == 200
    page = html(response)
    notice = page[page.index('class="notice notice--error"') : page.index("Your values are kept below")]
    assert "Not saved." in notice and "be_negotiator_2" in notice
    assert "<dd>Red line</dd>" in notice and "<dd>PL refuses any relocation</dd>" in notice
    assert "My version" in page[page.index("<form") :]
    position.refresh_from_db()
    assert (position.stance, position.version) == ("red_line", 2)
    # The form now carries the stored version: sending it again applies the user's values knowingly.
    assert 'name="version" value="2"' in page
    assert client.post(url, {**mine, "version": "2"}).status_code == 302
    position.refresh_from_db()
    assert (position.stance, position.statement, position.version) == ("neutral", "My version", 3)


def test_only_negotiators_of_the_recording_delegation_may_edit(
    client, pool_size, meetings, be_negotiator, nl_negotiator, be_official, coordinator
):
    position = record(be_negotiator, pool_size, meetings[0], "CZ", "red_line")
    url = f"{BASE}/positions/{position.pk}/edit/"
    for user in (nl_negotiator, be_official, coordinator):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.post(url, edit_data(position, stance="support")).status_code == 403
        assert f'href="{url}"' not in html(client.get(f"{BASE}/positions/{position.pk}/"))
    position.refresh_from_db()
    assert (position.stance, position.version) == ("red_line", 1)


def test_an_invalid_edit_names_the_field(client, pool_size, meetings, be_negotiator):
    position = record(be_negotiator, pool_size, None, "SK", "oppose", date=datetime.date(2025, 11, 1))
    client.force_login(be_negotiator)
    response = client.post(
        f"{BASE}/positions/{position.pk}/edit/", edit_data(position, date="", proposed_value="lots", reason="")
    )
    page = html(response)
    assert response.status_code == 200 and 'class="error-summary"' in page
    assert "Give the date of the position, or choose its meeting." in page and "Enter a number." in page
    assert 'href="#id_reason"' in page
    position.refresh_from_db()
    assert position.version == 1


# Pages carry no inline code, and run a constant number of queries ---------------------------------------------


def _pages(cycle, topic, meeting, position) -> list[str]:
    year = cycle.year
    return [
        matrix_url(cycle),
        matrix_url(cycle, format="csv"),
        f"{BASE}/{year}/states/BE/",
        f"{BASE}/{year}/topics/{topic.pk}/",
        f"{BASE}/{year}/meetings/",
        f"{BASE}/{year}/meetings/{meeting.pk}/",
        f"{BASE}/{year}/comparison/",
        f"{BASE}/positions/{position.pk}/",
        f"{BASE}/positions/{position.pk}/edit/",
    ]


def test_pages_send_a_csp_and_carry_no_inline_script_or_style(
    client, cycle_with_figures, pool_size, meetings, be_negotiator
):
    position = record(be_negotiator, pool_size, meetings[0], "BE", "support", visibility="restricted")
    client.force_login(be_negotiator)
    pages = [url for url in _pages(cycle_with_figures, pool_size, meetings[0], position) if "format=" not in url]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        page = html(response)
        assert not INLINE_SCRIPT.search(page), url
        assert "style=" not in page.lower() and "<style" not in page.lower(), url


def _seed(cycle, topics, states, *, first: int, count: int) -> list[ForumMeeting]:
    """``count`` technical meetings from day ``first``; every state states a stance on every topic at each.

    Every seventh position is restricted to NL, so a BE reader's pages must leave it out.
    """
    meetings = ForumMeeting.objects.bulk_create(
        ForumMeeting(
            cycle=cycle,
            level="technical",
            date=datetime.date(2026, 1, 1) + datetime.timedelta(days=first + i),
            title=f"Technical meeting {first + i}",
        )
        for i in range(count)
    )
    Position.objects.bulk_create(
        Position(
            cycle=cycle,
            topic=topic,
            member_state=member_state,
            meeting=meeting,
            date=meeting.date,
            stance=Stance.values[(i + j) % 6],
            stance_rank=(i + j) % 6,
            proposed_value=Decimal(1000 * j),
            statement=f"Statement {i}-{j}",
            visibility="restricted" if j % 7 == 0 else "shared",
            recorded_by_state_id="NL" if j % 7 == 0 else "BE",
        )
        for i, meeting in enumerate(meetings, start=first)
        for j, (topic, member_state) in enumerate((t, s) for t in topics for s in states)
    )
    return meetings


def test_pages_run_a_constant_number_of_queries_at_ten_times_the_meetings(
    client, cycle_with_figures, be_negotiator, django_assert_max_num_queries
):
    cycle = cycle_with_figures
    states = list(MemberState.objects.filter(eu_member=True))
    topics = Topic.objects.bulk_create(
        Topic(cycle=cycle, title=f"Topic {i}", order=i, unit="relocations in the pool" if i % 2 else "")
        for i in range(10)
    )
    meetings = _seed(cycle, topics, states, first=0, count=20)
    PledgeFactory(cycle=cycle, member_state=state("BE"), status="submitted")
    tracked = record(be_negotiator, topics[0], meetings[0], "BE", "support")
    assert Position.objects.count() == 27 * 10 * 20 + 1
    client.force_login(be_negotiator)
    pages = _pages(cycle, topics[1], meetings[0], tracked)
    small = {}
    for url in pages:
        with django_assert_max_num_queries(15) as captured:
            assert client.get(url).status_code == 200, url
        small[url] = len(captured)

    # Ten times the meetings, a second round at the tracked meeting, more pledges and a longer history.
    _seed(cycle, topics, states, first=20, count=180)
    Position.objects.bulk_create(
        Position(
            cycle=cycle,
            topic=topic,
            member_state=member_state,
            meeting=meetings[0],
            date=meetings[0].date,
            stance="neutral",
            stance_rank=3,
            recorded_by_state_id="BE",
        )
        for topic in topics
        for member_state in states
    )
    for code in ("DE", "FR", "NL"):
        PledgeFactory(cycle=cycle, member_state=state(code), status="submitted")
    for version in range(1, 8):
        tracked = services.position_update(
            position=tracked,
            changes={"statement": f"Revision {version}"},
            expected_version=version,
            actor=be_negotiator,
            reason=f"Revision {version}",
        )
    assert Position.objects.count() > 27 * 10 * 200
    for url in pages:
        with django_assert_max_num_queries(small[url]):
            response = client.get(url)
        assert response.status_code == 200, url
    # The bigger data is really on the pages, and NL's restricted positions are not.
    latest = datetime.date(2026, 1, 1) + datetime.timedelta(days=199)
    assert f'<time datetime="{latest.isoformat()}">' in html(client.get(matrix_url(cycle)))
    exported = csv_rows(client.get(matrix_url(cycle, format="csv")))
    assert len(exported) > 200 and all(row["Visibility"] == "shared" for row in exported)
    assert "Revision 7" in html(client.get(f"{BASE}/positions/{tracked.pk}/"))
