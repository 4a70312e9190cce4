"""The Dublin-performance and secondary-movement CSV import: the parser's rules and the all-or-nothing command."""

import datetime
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from compliance import importers
from compliance.models import DublinPerformance, SecondaryMovementIndicator
from compliance.services import compliance_record_create, secondary_movement_import
from solidarity.platform.errors import ValidationFailed
from tests.factories import state

DATA = Path(__file__).resolve().parent / "data"
CODES = ["BE", "EL", "IT", "NL", "MT"]
DUBLIN_HEADER = (
    "member_state,period_kind,period_start,period_end,take_charge_sent,take_charge_received,take_charge_accepted,"
    "take_charge_refused,take_back_sent,take_back_received,take_back_accepted,take_back_refused,transfers_carried_out"
)
SECONDARY_HEADER = (
    "member_state,period_kind,period_start,period_end,applications_lodged,secondary_movement_share_percent,source"
)


def parse(text: str, kind: str = importers.DUBLIN) -> importers.ParseResult:
    return importers.parse_csv(text, kind=kind, known_codes=CODES)


def issues(result: importers.ParseResult) -> list[tuple[int, str]]:
    return [(issue.line, issue.field) for issue in result.errors]


# --- The parser (no database) -------------------------------------------------------------------------------


def test_parser_reads_a_good_dublin_file_into_rows_with_their_lines():
    result = parse((DATA / "dublin_good.csv").read_text())
    assert result.errors == []
    assert [row["line"] for row in result.rows] == [2, 3, 4]
    first = result.rows[0]
    assert first["member_state_id"] == "IT"
    assert (first["period_kind"], first["period_start"], first["period_end"]) == (
        "month",
        datetime.date(2026, 1, 1),
        datetime.date(2026, 1, 31),
    )
    assert (first["take_charge_received"], first["transfers_carried_out"]) == (300, 40)
    assert (first["average_reply_days"], first["illustrative"]) == (Decimal("28.5"), True)
    assert result.rows[1]["average_transfer_days"] is None  # an empty cell of a nullable figure
    assert result.rows[2]["member_state_id"] == "EL"  # codes in either case


def test_parser_names_the_line_and_field_of_every_bad_cell():
    result = parse((DATA / "dublin_bad.csv").read_text())
    assert issues(result) == [(3, "take_charge_accepted"), (4, "transfers_carried_out")]
    assert "310 accepted is more than the 280 received" in str(result.errors[0])
    assert str(result.errors[1]).startswith("line 4, transfers_carried_out: '1x0' is not a whole number")


@pytest.mark.parametrize(
    ("cells", "field", "words"),
    [
        ("XX,month,2026-01-01,2026-01-31", "member_state", "not a Member State code"),
        (",month,2026-01-01,2026-01-31", "member_state", "Eurostat code"),
        ("IT,week,2026-01-01,2026-01-07", "period_kind", "not one of"),
        ("IT,month,2026-1-1,2026-01-31", "period_start", "YYYY-MM-DD"),
        ("IT,month,2026-01-01,2026-02-30", "period_end", "YYYY-MM-DD"),
        ("IT,month,2026-01-01,2025-12-31", "period_end", "before it starts"),
        ("IT,month,2026-01-02,2026-01-31", "period_start", "first day of a month"),
        ("IT,month,2026-02-01,2026-03-31", "period_end", "ends on 2026-02-28"),
        ("IT,quarter,2026-02-01,2026-04-30", "period_start", "1 April"),
        ("IT,quarter,2026-04-01,2026-06-29", "period_end", "ends on 2026-06-30"),
    ],
)
def test_parser_checks_states_and_periods(cells, field, words):
    result = parse(f"{DUBLIN_HEADER}\n{cells},0,0,0,0,0,0,0,0,0\n")
    assert issues(result) == [(2, field)]
    assert words in result.errors[0].message
    assert result.rows == []


@pytest.mark.parametrize(
    ("value", "words"),
    [("-1", "whole number"), ("1,000", "whole number"), ("2.5", "whole number"), ("", "give a number")],
)
def test_parser_wants_whole_counts(value, words):
    result = parse(f'{DUBLIN_HEADER}\nIT,month,2026-01-01,2026-01-31,0,0,0,0,0,0,0,0,"{value}"\n')
    assert issues(result) == [(2, "transfers_carried_out")]
    assert words in result.errors[0].message


@pytest.mark.parametrize(
    ("value", "words"),
    [("61,5", "use a point"), ("100.01", "between 0 and 100"), ("-3", "negative"), ("61.555", "decimal place")],
)
def test_parser_checks_percentages(value, words):
    result = parse(f'{SECONDARY_HEADER}\nBE,quarter,2026-01-01,2026-03-31,100,"{value}",Agency\n', importers.SECONDARY)
    assert issues(result) == [(2, "secondary_movement_share_percent")]
    assert words in result.errors[0].message


def test_parser_requires_the_source_of_secondary_movement_claims():
    result = parse(f"{SECONDARY_HEADER}\nBE,quarter,2026-01-01,2026-03-31,100,61.5,\n", importers.SECONDARY)
    assert issues(result) == [(2, "source")]
    missing = parse("member_state,period_kind,period_start,period_end\n", importers.SECONDARY)
    assert issues(missing) == [(1, "source")]


def test_parser_checks_the_header():
    unknown = parse(DUBLIN_HEADER + ",transfer_rate,notes\n")
    assert issues(unknown) == [(1, "transfer_rate"), (1, "notes")]  # derived rates are computed, not imported
    missing = parse("member_state,period_kind,period_start,period_end,take_charge_sent\n")
    assert [field for _, field in issues(missing)][:2] == ["take_charge_received", "take_charge_accepted"]
    assert {line for line, _ in issues(missing)} == {1}
    twice = parse(DUBLIN_HEADER + ",source,source\n")
    assert issues(twice) == [(1, "source")]
    assert issues(parse("")) == [(1, "")]
    assert "no rows" in parse(DUBLIN_HEADER + "\n").errors[0].message


def test_parser_refuses_the_same_period_twice_and_ragged_rows():
    row = "IT,month,2026-01-01,2026-01-31,0,0,0,0,0,0,0,0,0"
    twice = parse(f"{DUBLIN_HEADER}\n{row}\n{row}\n")
    assert issues(twice) == [(3, "period_start")]
    assert "line 2" in twice.errors[0].message
    ragged = parse(f"{DUBLIN_HEADER}\n{row},7\n")
    assert ragged.errors[0].line == 2
    assert "more than the header" in ragged.errors[0].message


def test_parser_reads_gr_as_greece():
    result = parse(f"{DUBLIN_HEADER}\nGR,month,2026-01-01,2026-01-31,0,0,0,0,0,0,0,0,0\n")
    assert result.rows[0]["member_state_id"] == "EL"


def test_read_import_file_drops_the_byte_order_mark_and_refuses_other_encodings(tmp_path):
    bom = tmp_path / "bom.csv"
    bom.write_bytes("\ufeffmember_state\n".encode())
    assert importers.read_import_file(bom) == "member_state\n"
    latin = tmp_path / "latin.csv"
    latin.write_bytes("source\nOffice fédéral\n".encode("latin-1"))
    with pytest.raises(importers.ImportFileError, match="not UTF-8"):
        importers.read_import_file(latin)


# --- The command ----------------------------------------------------------------------------------------------


def run(*args) -> str:
    out = StringIO()
    call_command("import_dublin", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_import_of_dublin_performance_creates_then_updates(compliance_officer, tmp_path):
    out = run("--kind", "dublin", str(DATA / "dublin_good.csv"), "--actor", "compliance")
    assert "created 3, updated 0, unchanged 0" in out
    italy = DublinPerformance.objects.get(member_state="IT", period_start=datetime.date(2026, 1, 1))
    # 400 of 500 requests accepted, 40 transfers.
    assert (italy.acceptance_rate, italy.transfer_rate, italy.illustrative) == (
        Decimal("80.00"),
        Decimal("10.00"),
        True,
    )
    history = italy.history.get()
    assert (history.history_user, history.history_change_reason) == (
        compliance_officer,
        "Imported from dublin_good.csv",
    )

    again = run("--kind", "dublin", str(DATA / "dublin_good.csv"), "--actor", "compliance")
    assert "created 0, updated 0, unchanged 3" in again

    changed = tmp_path / "corrected.csv"
    changed.write_text((DATA / "dublin_good.csv").read_text().replace(",40,28.5,", ",45,28.5,"))
    out = run("--kind", "dublin", str(changed), "--actor", "compliance", "--reason", "Corrected by the Ministry")
    assert "created 0, updated 1, unchanged 2" in out
    italy.refresh_from_db()
    assert (italy.transfers_carried_out, italy.version) == (45, 2)
    assert italy.history.first().history_change_reason == "Corrected by the Ministry"


@pytest.mark.django_db
def test_a_bad_row_writes_nothing_and_the_error_names_line_and_field(compliance_officer):
    with pytest.raises(CommandError) as error:
        run("--kind", "dublin", str(DATA / "dublin_bad.csv"), "--actor", "compliance")
    message = str(error.value)
    assert "2 error(s) in dublin_bad.csv; nothing was written" in message
    assert "line 3, take_charge_accepted" in message
    assert "line 4, transfers_carried_out" in message
    assert not DublinPerformance.objects.exists()  # not even the good line 2
    assert not DublinPerformance.history.exists()


@pytest.mark.django_db
def test_dry_run_counts_the_changes_and_writes_nothing(compliance_officer):
    compliance_record_create(
        model=DublinPerformance,
        actor=compliance_officer,
        reason="Entered by hand",
        member_state=state("IT"),
        period_kind="month",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 1, 31),
    )
    out = run("--kind", "dublin", str(DATA / "dublin_good.csv"), "--actor", "compliance", "--dry-run")
    assert "2 to create, 1 to update, 0 unchanged; nothing was written" in out
    assert DublinPerformance.objects.count() == 1
    assert DublinPerformance.objects.get().take_charge_received == 0
    assert DublinPerformance.history.count() == 1


@pytest.mark.django_db
def test_import_of_secondary_movements(compliance_officer):
    out = run("--kind", "secondary", str(DATA / "secondary_good.csv"), "--actor", "compliance")
    assert "Imported secondary-movement indicators from secondary_good.csv (2 row(s)): created 2" in out
    belgium = SecondaryMovementIndicator.objects.get(member_state="BE")
    assert (belgium.secondary_movement_share_percent, belgium.source) == (
        Decimal("61.50"),
        "Illustrative: national reception agency figures",
    )
    assert SecondaryMovementIndicator.objects.get(member_state="NL").secondary_movement_share_percent is None
    assert "created 0, updated 0, unchanged 2" in run(
        "--kind", "secondary", str(DATA / "secondary_good.csv"), "--actor", "compliance"
    )


@pytest.mark.django_db
def test_a_bad_secondary_row_writes_nothing(compliance_officer):
    with pytest.raises(CommandError, match="line 3, secondary_movement_share_percent"):
        run("--kind", "secondary", str(DATA / "secondary_bad.csv"), "--actor", "compliance")
    assert not SecondaryMovementIndicator.objects.exists()


@pytest.mark.django_db
def test_secondary_import_validates_every_row_against_the_model_before_writing(compliance_officer):
    # Rows that slipped past the parser still meet the model's constraints, all or nothing.
    good = {
        "line": 2,
        "member_state_id": "BE",
        "period_kind": "quarter",
        "period_start": datetime.date(2026, 1, 1),
        "period_end": datetime.date(2026, 3, 31),
        "source": "Agency",
    }
    bad = {**good, "line": 3, "member_state_id": "NL", "secondary_movement_share_percent": Decimal(150)}
    with pytest.raises(ValidationFailed) as error:
        secondary_movement_import(rows=[dict(good), dict(bad)], actor=compliance_officer, reason="Import")
    assert "line 3" in error.value.message
    assert not SecondaryMovementIndicator.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["be_official", "be_negotiator", "coordinator", "auditor"])
def test_only_compliance_officers_import(request, persona):
    user = request.getfixturevalue(persona)
    with pytest.raises(CommandError, match="compliance officers only"):
        run("--kind", "dublin", str(DATA / "dublin_good.csv"), "--actor", user.username)
    assert not DublinPerformance.objects.exists()


@pytest.mark.django_db
def test_command_refuses_unknown_users_unreadable_files_and_empty_reasons(compliance_officer, tmp_path):
    with pytest.raises(CommandError, match="No active user 'nobody'"):
        run("--kind", "dublin", str(DATA / "dublin_good.csv"), "--actor", "nobody")
    with pytest.raises(CommandError, match="Cannot read"):
        run("--kind", "dublin", str(tmp_path / "missing.csv"), "--actor", "compliance")
    with pytest.raises(CommandError, match="reason"):
        run("--kind", "dublin", str(DATA / "dublin_good.csv"), "--actor", "compliance", "--reason", " ")
    with pytest.raises(CommandError):
        run("--kind", "other", str(DATA / "dublin_good.csv"), "--actor", "compliance")
    assert not DublinPerformance.objects.exists()
