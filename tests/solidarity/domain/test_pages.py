"""The server-rendered pages: log-in, the dashboard and the fair-share table with its exports."""

import csv
import datetime
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.template.loader import render_to_string

from pledges.pledging.models import PledgeKind
from solidarity.domain.models import DesignationGround, DesignationKind, OfficialShare
from solidarity.domain.selectors import cycle_fair_shares
from solidarity.domain.services import designation_set
from tests.factories import TEST_PASSWORD, CycleFactory, PledgeFactory, UserFactory, state

LOGIN = "/accounts/login/"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


def fair_shares_url(cycle, **query):
    url = f"/cycles/{cycle.year}/fair-shares/"
    return url + ("?" + "&".join(f"{key}={value}" for key, value in query.items()) if query else "")


def html(response) -> str:
    return response.content.decode()


def row_codes(response) -> list[str]:
    """State codes in the order of the table's rows (each row header reads "Name (CODE)")."""
    return re.findall(r'<th scope="row">[^<(]+\(([A-Z]{2})\)', html(response))


def table_row(response, code: str) -> str:
    match = re.search(rf'<th scope="row">[^<(]+\({code}\).*?</tr>', html(response), re.DOTALL)
    assert match, f"no row for {code}"
    return match.group(0)


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def xlsx_rows(response) -> list[dict]:
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, *rows = sheet.iter_rows(values_only=True)
    return [dict(zip(header, row, strict=True)) for row in rows]


# Log-in and log-out ---------------------------------------------------------------------------------------


def test_login_page_has_labelled_fields_and_no_inline_code(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    page = html(response)
    assert '<label for="id_username">' in page and '<label for="id_password">' in page
    assert 'href="#main"' in page and '<main id="main"' in page


def test_login_with_the_right_password_opens_the_dashboard(client, be_official):
    response = client.post(LOGIN, {"username": "be_official", "password": TEST_PASSWORD})
    assert response.status_code == 302 and response.url == "/"
    dashboard = client.get("/")
    assert dashboard.status_code == 200
    assert "be_official" in html(dashboard)


def test_wrong_password_shows_a_clear_error_and_does_not_log_in(client, be_official):
    response = client.post(LOGIN, {"username": "be_official", "password": "not-the-password"})
    assert response.status_code == 200
    page = html(response)
    assert 'role="alert"' in page
    assert "Please enter a correct username and password" in page
    assert client.get("/").status_code == 302


def test_logout_is_a_post_that_ends_the_session(client, be_official):
    client.force_login(be_official)
    assert client.get("/accounts/logout/").status_code == 405  # a link cannot log anyone out
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response.url.startswith(LOGIN)
    assert client.get("/").status_code == 302


def test_too_many_failed_logins_lock_the_account_with_a_clear_page(client, be_official, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(LOGIN, {"username": "be_official", "password": "guess"})
    assert response.status_code == 429
    page = html(response)
    assert "Too many failed log-in attempts" in page
    assert "Try again in 60 minutes" in page
    # Locked: even the right password is refused until the cool-off ends.
    again = client.post(LOGIN, {"username": "be_official", "password": TEST_PASSWORD})
    assert again.status_code == 429
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    "url",
    ["/", "/?cycle=2026", "/fair-shares/", "/cycles/2026/fair-shares/", "/cycles/2026/fair-shares/?format=csv"],
)
def test_every_page_requires_login(client, cycle_with_figures, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(f"{LOGIN}?next=")


# Layout ---------------------------------------------------------------------------------------------------


def test_layout_shows_the_user_delegation_roles_navigation_and_a_logout_form(client, be_official):
    client.force_login(be_official)
    page = html(client.get("/"))
    assert "Belgium (BE)" in page and "Roles: Official" in page
    for href in ('href="/"', 'href="/fair-shares/"', 'href="/pledges/"', 'href="/api/docs/"'):
        assert href in page
    assert 'href="/admin/"' not in page  # not staff
    assert re.search(r'<form method="post" action="/accounts/logout/"', page)


def test_staff_see_the_admin_link(client, db):
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    page = html(client.get("/"))
    assert 'href="/admin/"' in page and "EU level" in page and "Roles: none" in page


@pytest.mark.parametrize("url", ["/", "/cycles/2026/fair-shares/", "/cycles/1999/fair-shares/", "/no-such-page/"])
def test_pages_send_a_csp_and_carry_no_inline_script_or_style(client, cycle_with_figures, coordinator, url):
    client.force_login(coordinator)
    response = client.get(url)
    assert "Content-Security-Policy" in response.headers
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    page = html(response)
    assert "<main" in page
    assert not INLINE_SCRIPT.search(page)
    assert "style=" not in page.lower() and "<style" not in page.lower()


def test_login_page_has_no_inline_script_or_style(client):
    response = client.get(LOGIN)
    assert "Content-Security-Policy" in response.headers
    assert not INLINE_SCRIPT.search(html(response)) and "style=" not in html(response)


def test_unknown_page_uses_the_registry_404_page(client, be_official):
    client.force_login(be_official)
    response = client.get("/cycles/1999/fair-shares/")
    assert response.status_code == 404
    assert "Page not found" in html(response) and "Log out" in html(response)


def test_server_error_page_renders_without_a_request():
    page = render_to_string("500.html")
    assert "Something went wrong" in page and "registry.css" in page


# Dashboard ------------------------------------------------------------------------------------------------


def test_dashboard_without_any_cycle_shows_an_empty_state(client, be_official):
    client.force_login(be_official)
    response = client.get("/")
    assert response.status_code == 200
    assert "No solidarity cycle yet" in html(response)


def test_fair_shares_link_without_any_cycle_explains_itself(client, be_official):
    client.force_login(be_official)
    response = client.get("/fair-shares/", follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert "no fair shares to show" in html(response)


def test_dashboard_shows_the_cycle_stage_dates_numbers_and_designations(client, be_official, coordinator):
    cycle = CycleFactory(
        year=2026,
        status="adopted",
        reference_relocations=21000,
        reference_financial_eur=Decimal("420000000.00"),
        sar_share_percent=Decimal("42.00"),
        council_act_reference="Council Implementing Decision (EU) 2025/2642",
        council_act_date=datetime.date(2025, 12, 19),
        forum_dates=["2025-11-18", "2025-11-27"],
        applies_from=datetime.date(2026, 6, 12),
        regulation_applies_from=datetime.date(2026, 7, 1),
        regulation_applies_from_source="Art. 85, read in the Official Journal",
    )
    designation_set(
        cycle=cycle,
        member_state=state("IT"),
        kind=DesignationKind.UNDER_PRESSURE,
        ground=DesignationGround.SAR,
        actor=coordinator,
        reason="Decision (EU) 2025/2323",
    )
    designation_set(
        cycle=cycle, member_state=state("AT"), kind=DesignationKind.SIGNIFICANT_SITUATION, actor=coordinator, reason="x"
    )
    client.force_login(be_official)
    page = html(client.get("/"))
    assert "Solidarity cycle 2026" in page
    current = re.search(r'<li class="step step--current" aria-current="step">.*?</li>', page, re.DOTALL).group(0)
    assert "Council act adopted" in current and "Current stage" in current
    assert page.count("step--done") == 3 and page.count("step--todo") == 2
    assert "21,000" in page and "EUR 420,000,000.00" in page and "EUR 20,000.00" in page and "42.00 %" in page
    assert '<time datetime="2025-12-19">19 December 2025</time>' in page
    # Two dates: the pool's (the Council act) and the regulation's (Art. 85), each in its own row.
    pool_row = re.search(r'<tr>\s*<th scope="row">The pool applies from</th>.*?</tr>', page, re.DOTALL)
    regulation_row = re.search(r'<tr>\s*<th scope="row">The regulation applies from</th>.*?</tr>', page, re.DOTALL)
    assert pool_row and "12 June 2026" in pool_row.group(0)
    assert regulation_row and "1 July 2026" in regulation_row.group(0)
    assert "AMMR Art. 85; Art. 85, read in the Official Journal" in regulation_row.group(0)
    assert "Council Implementing Decision (EU) 2025/2642" in page
    assert "18 November 2025" in page and "27 November 2025" in page
    assert "Italy (IT): ground arrivals after search-and-rescue disembarkations" in page
    significant = page.split("Facing a significant migratory situation", 1)[1]
    assert "Austria (AT)" in significant
    assert "No state is designated." in page  # nobody is "at risk" here


def test_dashboard_switches_cycles_by_year(client, be_official):
    CycleFactory(year=2026, status="adopted")
    CycleFactory(year=2027, status="pledging")
    CycleFactory(year=2028)  # still in preparation: not the current cycle
    client.force_login(be_official)
    assert "Solidarity cycle 2027" in html(client.get("/"))
    page = html(client.get("/?cycle=2026"))
    assert "Solidarity cycle 2026" in page
    assert '<option value="2026" selected>' in page and '<label for="cycle-switcher">' in page
    assert client.get("/?cycle=1999").status_code == 404
    assert client.get("/?cycle=last").status_code == 404


def test_dashboard_in_preparation_only_shows_the_latest_cycle(client, be_official):
    CycleFactory(year=2026)
    CycleFactory(year=2027)
    client.force_login(be_official)
    assert "Solidarity cycle 2027" in html(client.get("/"))


@pytest.mark.parametrize("cycles", [1, 8])
def test_dashboard_runs_a_constant_number_of_queries(
    client, be_official, coordinator, cycles, django_assert_max_num_queries
):
    for year in range(2026, 2026 + cycles):
        cycle = CycleFactory(year=year, status="in_application")
        for code in ("IT", "EL"):
            designation_set(
                cycle=cycle,
                member_state=state(code),
                kind=DesignationKind.UNDER_PRESSURE,
                actor=coordinator,
                reason="Decision",
            )
    client.force_login(be_official)
    # Session, user with its roles, cycles, designations, states, the finding banner.
    with django_assert_max_num_queries(6):
        page = html(client.get("/"))
    assert f"Solidarity cycle {2025 + cycles}" in page


# Fair-share table -----------------------------------------------------------------------------------------


@pytest.fixture
def official_shares(cycle_with_figures):
    """The percentages printed in the Council act for DE and FR."""
    for code, share in (("DE", "21.6890"), ("FR", "16.0021")):
        OfficialShare.objects.create(
            cycle=cycle_with_figures, member_state=state(code), share_percent=Decimal(share), source="Council act"
        )


def test_fair_share_table_shows_germany_and_france_against_the_council_act(
    client, cycle_with_figures, official_shares, coordinator
):
    shares = cycle_fair_shares(cycle_with_figures)
    client.force_login(coordinator)
    response = client.get(fair_shares_url(cycle_with_figures))
    assert response.status_code == 200
    for code, official in (("DE", Decimal("21.6890")), ("FR", Decimal("16.0021"))):
        row = table_row(response, code)
        computed = shares[code].share_percent
        assert abs(computed - official) < Decimal("0.05")  # the key reproduces the published share
        assert f">{computed}<" in row and f">{official}<" in row
        difference = computed - official
        assert f">{'+' if difference > 0 else ''}{difference}<" in row
        assert f">{shares[code].relocations:,}<" in row
        assert f">{shares[code].financial_eur:,.2f}<" in row
    # No official figure for Belgium: said in words, not left blank.
    assert "not recorded" in table_row(response, "BE")


def test_fair_share_table_totals_and_states_outside_the_key(client, cycle_with_figures, coordinator):
    client.force_login(coordinator)
    response = client.get(fair_shares_url(cycle_with_figures))
    page = html(response)
    totals = re.search(r'<tr class="totals">.*?</tr>', page, re.DOTALL).group(0)
    assert "Total of the 26 states in the key" in totals and ">100.0001<" in totals
    codes = row_codes(response)
    assert codes[:3] == ["BE", "BG", "CZ"] and len(codes) == 31
    # Denmark and the Dublin-associated states come after the 26, each marked.
    assert codes[26:] == ["DK", "NO", "IS", "CH", "LI"]
    assert page.index("Total of the 26") < page.index("Denmark (DK)")
    assert 'Denmark (DK) <span class="tag">outside the key</span>' in page


def test_fair_share_table_says_why_its_totals_are_not_the_pool(client, cycle_with_figures, coordinator):
    # The 2026 figures, the pool of 21 000: each share rounded on its own (100.0001 %), relocations rounded up.
    client.force_login(coordinator)
    response = client.get(fair_shares_url(cycle_with_figures))
    totals = re.search(r'<tr class="totals">.*?</tr>', html(response), re.DOTALL).group(0)
    relocations = int(re.findall(r'<td class="num">([\d,]+)</td>', totals)[0].replace(",", ""))
    assert relocations > cycle_with_figures.reference_relocations
    note = " ".join(re.search(r'<p class="hint" id="rounding">(.*?)</p>', html(response), re.DOTALL).group(1).split())
    assert "the shares add up to 100.0001 % rather than exactly 100" in note
    pool = f"{cycle_with_figures.reference_relocations:,}"
    assert f"the first cycle are, so together they come to {relocations:,}" in note
    assert f"relocations for a pool of {pool}." in note


def test_fair_share_table_hides_other_states_pledges_before_the_council_act(client, cycle_with_figures, be_official):
    PledgeFactory(
        cycle=cycle_with_figures, member_state=state("BE"), amount_eur=Decimal("20000000.00"), status="submitted"
    )
    PledgeFactory(
        cycle=cycle_with_figures, member_state=state("NL"), amount_eur=Decimal("40000000.00"), status="submitted"
    )
    client.force_login(be_official)
    response = client.get(fair_shares_url(cycle_with_figures))
    assert ">1,000.00<" in table_row(response, "BE")  # EUR 20 million = 1 000 relocation equivalents
    nl = table_row(response, "NL")
    assert "Not public yet" in nl and "2,000.00" not in nl
    exported = {row["Code"]: row for row in csv_rows(client.get(fair_shares_url(cycle_with_figures, format="csv")))}
    assert exported["BE"]["Pledged (relocation equivalent)"] == "1000.00"
    assert exported["NL"]["Pledged (relocation equivalent)"] == ""


def test_fair_share_table_sorts_by_any_column_on_the_server(client, cycle_with_figures, coordinator):
    shares = cycle_fair_shares(cycle_with_figures)
    client.force_login(coordinator)
    descending = client.get(fair_shares_url(cycle_with_figures, sort="share", dir="desc"))
    expected = sorted(shares, key=lambda code: shares[code].share_percent, reverse=True)
    assert row_codes(descending)[:26] == expected
    assert re.search(
        r'<th scope="col" aria-sort="descending" class="num">\s*<a href="\?sort=share&amp;dir=asc"', html(descending)
    )
    ascending = client.get(fair_shares_url(cycle_with_figures, sort="share", dir="asc"))
    assert row_codes(ascending)[:26] == expected[::-1]
    by_name = client.get(fair_shares_url(cycle_with_figures, sort="state"))
    assert row_codes(by_name)[:3] == ["AT", "BE", "BG"]  # Austria, Belgium, Bulgaria
    assert 'aria-sort="ascending"' in html(by_name)
    unknown = client.get(fair_shares_url(cycle_with_figures, sort="nonsense"))
    assert row_codes(unknown)[:3] == ["BE", "BG", "CZ"] and "aria-sort" not in html(unknown)


def test_csv_export_has_the_same_numbers_as_decimals(client, cycle_with_figures, official_shares, coordinator):
    shares = cycle_fair_shares(cycle_with_figures)
    client.force_login(coordinator)
    response = client.get(fair_shares_url(cycle_with_figures, format="csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="fair-shares-2026.csv"' in response["Content-Disposition"]
    rows = csv_rows(response)
    assert [row["Code"] for row in rows][26:] == ["DK", "NO", "IS", "CH", "LI"]
    by_code = {row["Code"]: row for row in rows}
    for code, share in shares.items():
        row = by_code[code]
        assert Decimal(row["Share (%)"]) == share.share_percent
        assert int(row["Fair share (relocations)"]) == share.relocations
        assert row["Fair share (EUR)"] == str(share.financial_eur)  # exact digits, no float noise
        assert row["In the key"] == "yes"
    assert Decimal(by_code["DE"]["Official share (%)"]) == Decimal("21.6890")
    assert sum(Decimal(row["Share (%)"]) for row in rows if row["Share (%)"]) == Decimal("100.0001")
    assert by_code["DK"]["Share (%)"] == "" and by_code["DK"]["In the key"] == "no"


def test_xlsx_export_has_the_same_numbers_as_numbers(client, cycle_with_figures, official_shares, coordinator):
    client.force_login(coordinator)
    csv_by_code = {row["Code"]: row for row in csv_rows(client.get(fair_shares_url(cycle_with_figures, format="csv")))}
    response = client.get(fair_shares_url(cycle_with_figures, format="xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = xlsx_rows(response)
    assert list(rows[0]) == list(next(iter(csv_by_code.values())))  # the same columns as the CSV
    assert len(rows) == len(csv_by_code) == 31
    for row in rows:
        expected = csv_by_code[row["Code"]]
        for header in ("Share (%)", "Fair share (relocations)", "Fair share (EUR)", "Official share (%)"):
            if expected[header] == "":
                assert row[header] is None
                continue
            assert isinstance(row[header], int | float), f"{header} of {row['Code']} is not a number"
            places = Decimal(expected[header]).as_tuple().exponent
            assert Decimal(str(row[header])).quantize(Decimal(1).scaleb(places)) == Decimal(expected[header])


def test_exports_follow_the_chosen_order(client, cycle_with_figures, coordinator):
    client.force_login(coordinator)
    page = client.get(fair_shares_url(cycle_with_figures, sort="relocations", dir="desc"))
    assert 'href="?format=csv&amp;sort=relocations&amp;dir=desc"' in html(page)
    rows = csv_rows(client.get(fair_shares_url(cycle_with_figures, format="csv", sort="relocations", dir="desc")))
    assert [row["Code"] for row in rows] == row_codes(page)


def test_unknown_export_format_is_refused(client, cycle_with_figures, coordinator):
    client.force_login(coordinator)
    assert client.get(fair_shares_url(cycle_with_figures, format="pdf")).status_code == 400


def test_missing_figure_is_explained_naming_the_state(client, cycle_with_figures, coordinator):
    cycle_with_figures.reference_figures.filter(member_state="FR").delete()
    client.force_login(coordinator)
    response = client.get(fair_shares_url(cycle_with_figures))
    assert response.status_code == 200
    page = html(response)
    assert "The fair shares cannot be computed" in page
    assert "Reference figures are missing for FR" in page and "France (FR)" in page
    assert "<table" not in page
    export = client.get(fair_shares_url(cycle_with_figures, format="csv"))
    assert export.status_code == 409 and "France (FR)" in html(export)


# Query counts ---------------------------------------------------------------------------------------------


def _grow(cycle, coordinator):
    """A bigger cycle: pledges of every kind from every state, designations, official shares, more cycles."""
    for index, figure in enumerate(cycle.reference_figures.select_related("member_state")):
        member_state = figure.member_state
        PledgeFactory(
            cycle=cycle, member_state=member_state, kind=PledgeKind.RELOCATION, quantity=10 + index, status="submitted"
        )
        PledgeFactory(cycle=cycle, member_state=member_state, amount_eur=Decimal("1000000.00"), status="submitted")
        PledgeFactory(
            cycle=cycle,
            member_state=member_state,
            kind=PledgeKind.ALTERNATIVE,
            amount_eur=Decimal("50000.00"),
            description="Staff",
            status="submitted",
        )
        OfficialShare.objects.create(cycle=cycle, member_state=member_state, share_percent=Decimal("3.8462"))
        designation_set(
            cycle=cycle, member_state=member_state, kind=DesignationKind.AT_RISK, actor=coordinator, reason="test"
        )
    for year in (2027, 2028, 2029):
        CycleFactory(year=year)


@pytest.mark.parametrize("viewer", ["coordinator", "be_official"])
def test_pages_run_a_constant_number_of_queries(
    client, cycle_with_figures, coordinator, be_official, viewer, django_assert_max_num_queries
):
    client.force_login(coordinator if viewer == "coordinator" else be_official)
    pages = [
        "/?cycle=2026",
        "/",
        fair_shares_url(cycle_with_figures),
        fair_shares_url(cycle_with_figures, format="csv"),
    ]
    small = {}
    for url in pages:
        with django_assert_max_num_queries(14) as captured:
            assert client.get(url).status_code == 200
        small[url] = len(captured)
    _grow(cycle_with_figures, coordinator)
    for url in pages:
        with django_assert_max_num_queries(small[url]):
            response = client.get(url)
        assert response.status_code == 200
    # The bigger data really is on the page: Belgium's 10 relocations + EUR 1.05 million / 20 000 = 62.50.
    assert ">62.50<" in table_row(client.get(fair_shares_url(cycle_with_figures)), "BE")


# The export helpers every app uses ------------------------------------------------------------------------


def test_export_helpers_keep_text_from_running_as_a_formula_and_refuse_floats():
    from solidarity.platform import exports

    columns = ["Name", exports.Column("Amount (EUR)", exports.EUR), "Date"]
    rows = [['=HYPERLINK("http://evil")', Decimal("1234.50"), datetime.date(2026, 6, 12)], ["Plain", None, None]]
    as_csv = csv_rows(exports.csv_response(title="Test: export", columns=columns, rows=rows))
    assert as_csv[0] == {"Name": '\'=HYPERLINK("http://evil")', "Amount (EUR)": "1234.50", "Date": "2026-06-12"}
    assert as_csv[1] == {"Name": "Plain", "Amount (EUR)": "", "Date": ""}
    response = exports.xlsx_response(title="Test: export", columns=columns, rows=rows)
    assert 'filename="test-export.xlsx"' in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == "Test  export"
    cell = sheet["A2"]
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://evil")'
    assert sheet["B2"].value == 1234.5 and sheet["B2"].number_format == exports.EUR
    assert sheet["C2"].value.date() == datetime.date(2026, 6, 12)
    with pytest.raises(TypeError, match="Decimal"):
        exports.csv_response(title="x", columns=["n"], rows=[[0.1]])
    with pytest.raises(ValueError, match="csv, xlsx"):
        exports.export_response("pdf", title="x", columns=["n"], rows=[])
