"""The import_reference command and its parsers.

The Eurostat samples in ``tests/solidarity/data`` have the layout of real downloads (an aggregate, flagged
values, a ':' for a missing one, slices of other units, sexes and ages to leave alone); their figures are
illustrative, close to Eurostat's.
"""

import datetime
import gzip
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from solidarity.domain import import_csv, import_eurostat, import_parsing, importers
from solidarity.domain.models import ReferenceFigure
from tests.factories import CycleFactory, ReferenceFigureFactory, UserFactory, state

SAMPLES = Path(__file__).resolve().parents[1] / "data"
SHIPPED = Path(__file__).resolve().parents[3] / "solidarity" / "domain" / "data" / "reference_data_2026.csv"
HEADER = "code,population,population_reference_date,population_source,gdp_eur_million,gdp_reference_year,gdp_source"
KNOWN = ["BE", "DE", "EL", "LU", "NL", "PT", "DK", "NO"]


def run(path, *args) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_reference", str(path), *args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def snapshot():
    """Everything an import could touch: the figures and their history."""
    return (
        list(ReferenceFigure.objects.order_by("cycle_id", "member_state_id").values()),
        ReferenceFigure.history.count(),
    )


def write(tmp_path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def cycle(db):
    return CycleFactory(year=2026)


# The project's CSV ------------------------------------------------------------------------------------


def test_the_shipped_2026_file_imports_27_rows(cycle):
    output = run(SHIPPED, "--cycle", "2026")

    assert "created 27, updated 0, unchanged 0" in output
    assert ReferenceFigure.objects.filter(cycle=cycle).count() == 27
    be = ReferenceFigure.objects.get(cycle=cycle, member_state="BE")
    assert be.population == 11900100
    assert be.gdp_eur_million == Decimal("614200.00")
    assert be.population_reference_date == datetime.date(2025, 1, 1)
    assert be.gdp_reference_year == 2024
    assert be.verified is False
    reasons = set(ReferenceFigure.history.values_list("history_change_reason", flat=True))
    assert reasons == {"Imported from reference_data_2026.csv"}
    assert ReferenceFigure.history.filter(history_type="+").count() == 27


def test_importing_the_same_file_again_changes_nothing(cycle):
    run(SHIPPED, "--cycle", "2026")
    before = snapshot()

    output = run(SHIPPED, "--cycle", "2026")

    assert "created 0, updated 0, unchanged 27" in output
    assert snapshot() == before


def test_csv_with_verified_column_greek_alias_actor_and_reason(cycle):
    coordinator = UserFactory(username="coord", roles=["coordinator"])

    output = run(
        SAMPLES / "reference_sample.csv", "--cycle", "2026", "--actor", "coord", "--reason", "Eurostat 2025 release"
    )

    assert "created 3, updated 0, unchanged 0" in output
    figures = {f.member_state_id: f for f in ReferenceFigure.objects.filter(cycle=cycle)}
    assert set(figures) == {"BE", "EL", "NL"}  # GR in the file is Eurostat's EL
    assert figures["EL"].population == 10409547
    assert figures["NL"].gdp_eur_million == Decimal("1100420.00")
    assert (figures["BE"].verified, figures["EL"].verified, figures["NL"].verified) == (True, False, False)
    history = ReferenceFigure.history.all()
    assert {h.history_change_reason for h in history} == {"Eurostat 2025 release"}
    assert {h.history_user_id for h in history} == {coordinator.pk}


def test_csv_import_updates_changed_rows_and_a_changed_figure_loses_its_verified_mark(cycle):
    ReferenceFigureFactory(cycle=cycle, member_state=state("BE"), population=1, verified=True)
    ReferenceFigureFactory(
        cycle=cycle,
        member_state=state("AT"),
        population=9197200,
        population_reference_date=datetime.date(2025, 1, 1),
        population_source="Eurostat tps00001 (rounded to hundreds)",
        gdp_eur_million=Decimal("481900"),
        gdp_reference_year=2024,
        gdp_source="Eurostat nama_10_gdp B1GQ CP_MEUR (unverified estimate)",
        verified=True,
    )

    output = run(SHIPPED, "--cycle", "2026")

    assert "created 25, updated 1, unchanged 1" in output
    be = ReferenceFigure.objects.get(cycle=cycle, member_state="BE")
    assert (be.population, be.verified, be.version) == (11900100, False, 2)
    at = ReferenceFigure.objects.get(cycle=cycle, member_state="AT")
    assert (at.verified, at.version) == (True, 1)
    assert be.history.first().history_change_reason == "Imported from reference_data_2026.csv"


def test_verified_flag_marks_every_imported_row(cycle):
    run(SHIPPED, "--cycle", "2026")

    output = run(SHIPPED, "--cycle", "2026", "--verified")

    assert "created 0, updated 27, unchanged 0" in output
    assert not ReferenceFigure.objects.filter(cycle=cycle, verified=False).exists()


def test_dry_run_shows_the_changes_and_writes_nothing(cycle):
    ReferenceFigureFactory(cycle=cycle, member_state=state("BE"), population=1)
    before = snapshot()

    output = run(SHIPPED, "--cycle", "2026", "--dry-run")

    assert "Dry run: 26 to create, 1 to update, 0 unchanged; nothing was written." in output
    assert "update BE (line 3): population 1 -> 11900100" in output
    assert "create DE (line 12): population 83577100" in output
    assert snapshot() == before


def test_changing_the_figures_of_a_cycle_past_its_proposal_is_flagged(db):
    CycleFactory(year=2026, status="adopted")

    output = run(SAMPLES / "reference_sample.csv", "--cycle", "2026")

    assert "Note: cycle 2026 is at stage 'Council act adopted'; its fair shares will change." in output
    assert "fair shares will change" not in run(SAMPLES / "reference_sample.csv", "--cycle", "2026")


# Bad input: every error names its line, and nothing is written ------------------------------------------

GOOD_BE = "BE,11900100,2025-01-01,src,614200,2024,src"
GOOD_NL = "NL,18044000,2025-01-01,src,1100400.5,2024,src"


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ([GOOD_BE, "UK,67000000,2025-01-01,src,2800000,2024,src"], "line 3, code: unknown Member State code 'UK'"),
        ([GOOD_BE, "NL,-18044000,2025-01-01,src,1100400,2024,src"], "line 3, population: -18044000 is negative"),
        ([GOOD_BE, "NL,18044000,2025-01-01,src,-5,2024,src"], "line 3, gdp_eur_million: -5 is negative"),
        ([GOOD_BE, "NL,,2025-01-01,src,1100400,2024,src"], "line 3, population: missing value"),
        ([GOOD_BE, "NL,18044000,2025-01-01,src,,2024,src"], "line 3, gdp_eur_million: missing value"),
        ([GOOD_BE, ",18044000,2025-01-01,src,1100400,2024,src"], "line 3, code: missing Member State code"),
        ([GOOD_BE, "NL,18 million,2025-01-01,src,1100400,2024,src"], "line 3, population: '18 million' is not"),
        ([GOOD_BE, "NL,18044000.5,2025-01-01,src,1100400,2024,src"], "line 3, population: '18044000.5' is not"),
        ([GOOD_BE, "NL,18044000,2025-01-01,src,1.100.400,2024,src"], "line 3, gdp_eur_million: '1.100.400' is not"),
        ([GOOD_BE, "NL,18044000,2025-01-01,src,1100400.123,2024,src"], "more than two decimal places"),
        ([GOOD_BE, "NL,18044000,1 Jan 2025,src,1100400,2024,src"], "line 3, population_reference_date:"),
        ([GOOD_BE, "NL,18044000,2025-01-01,src,1100400,FY24,src"], "line 3, gdp_reference_year:"),
        ([GOOD_BE, GOOD_NL, "BE,1,,,1,,"], "line 4, code: BE appears twice (first on line 2)"),
        ([GOOD_BE, "NL,18044000,2025-01-01,src,1100400,2024"], "line 3: 6 values for 7 columns"),
    ],
    ids=[
        "unknown-code",
        "negative-population",
        "negative-gdp",
        "missing-population",
        "missing-gdp",
        "missing-code",
        "non-numeric-population",
        "fractional-population",
        "non-numeric-gdp",
        "gdp-precision",
        "bad-date",
        "bad-year",
        "duplicate-state",
        "short-row",
    ],
)
def test_a_bad_csv_row_is_refused_with_its_line_and_nothing_is_written(cycle, tmp_path, lines, expected):
    ReferenceFigureFactory(cycle=cycle, member_state=state("BE"), population=1)
    before = snapshot()
    path = write(tmp_path, "bad.csv", "\n".join([HEADER, *lines]) + "\n")

    with pytest.raises(CommandError, match="nothing was written") as error:
        run(path, "--cycle", "2026")

    assert expected in str(error.value)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (HEADER.replace("gdp_eur_million", "gdp_eur_milion"), "line 1: malformed header: missing column(s) gdp_eur"),
        (HEADER + ",remarks", "line 1: malformed header: unexpected column(s) 'remarks'"),
        (HEADER + ",population", "line 1: malformed header: repeated column(s) population"),
        ("state;population;gdp", "line 1: cannot recognise the format"),
    ],
    ids=["misspelt-column", "extra-column", "repeated-column", "unrecognisable"],
)
def test_a_wrong_csv_header_is_refused(cycle, tmp_path, header, expected):
    before = snapshot()
    path = write(tmp_path, "bad.csv", f"{header}\n{GOOD_BE}\n")

    with pytest.raises(CommandError) as error:
        run(path, "--cycle", "2026")

    assert expected in str(error.value)
    assert snapshot() == before


def test_every_error_of_the_file_is_reported_at_once(cycle, tmp_path):
    path = write(
        tmp_path,
        "bad.csv",
        "\n".join(
            [
                HEADER,
                "XX,1,2025-01-01,src,1,2024,src",
                "BE,-1,2025-01-01,src,abc,2024,src",
                GOOD_NL,
                GOOD_NL,
            ]
        ),
    )

    with pytest.raises(CommandError) as error:
        run(path, "--cycle", "2026")

    message = str(error.value)
    assert message.startswith("4 error(s) in bad.csv; nothing was written:")
    for expected in (
        "line 2, code: unknown Member State code 'XX'",
        "line 3, population: -1 is negative",
        "line 3, gdp_eur_million: 'abc' is not a number",
        "line 5, code: NL appears twice (first on line 4)",
    ):
        assert expected in message
    assert not ReferenceFigure.objects.exists()


# Eurostat TSV -----------------------------------------------------------------------------------------


def test_eurostat_population_tsv_updates_population_only(cycle_with_figures):
    be_gdp = ReferenceFigure.objects.get(cycle=cycle_with_figures, member_state="BE").gdp_eur_million
    fr_before = ReferenceFigure.objects.get(cycle=cycle_with_figures, member_state="FR").version

    output = run(SAMPLES / "estat_tps00001.tsv", "--cycle", "2026", "--period", "2025")

    assert "eurostat-tsv, population, period 2025, 5 state(s)" in output
    assert "created 0, updated 5, unchanged 0" in output
    be = ReferenceFigure.objects.get(cycle=cycle_with_figures, member_state="BE")
    assert be.population == 11900123
    assert be.population_reference_date == datetime.date(2025, 1, 1)
    assert be.population_source == "Eurostat tps00001"
    assert be.gdp_eur_million == be_gdp  # a population file leaves GDP alone
    de = ReferenceFigure.objects.get(cycle=cycle_with_figures, member_state="DE")
    assert (de.population, de.population_source) == (83577140, "Eurostat tps00001 (flag p)")
    assert ReferenceFigure.objects.get(cycle=cycle_with_figures, member_state="FR").version == fr_before
    assert be.history.first().history_change_reason == "Imported from estat_tps00001.tsv"


def test_classic_demo_pjan_tsv_takes_both_sexes_all_ages(cycle_with_figures):
    output = run(SAMPLES / "estat_demo_pjan.tsv", "--cycle", "2026", "--period", "2025")

    assert "updated 3" in output
    figures = dict(
        ReferenceFigure.objects.filter(member_state__in=["BE", "NL", "PT"]).values_list("member_state", "population")
    )
    assert figures == {"BE": 11900123, "NL": 18044027, "PT": 10749635}
    assert ReferenceFigure.objects.get(member_state="PT").population_source == "Eurostat demo_pjan (flag p)"


def test_eurostat_gdp_tsv_updates_gdp_only(cycle_with_figures):
    be_population = ReferenceFigure.objects.get(member_state="BE").population

    output = run(SAMPLES / "estat_nama_10_gdp.tsv", "--cycle", "2026", "--period", "2024")

    assert "eurostat-tsv, gdp, period 2024, 5 state(s)" in output
    assert "created 0, updated 5, unchanged 0" in output
    gdp = dict(ReferenceFigure.objects.filter(cycle=cycle_with_figures).values_list("member_state", "gdp_eur_million"))
    assert gdp["BE"] == Decimal("614231.90")
    assert gdp["DE"] == Decimal("4305260.00")
    assert gdp["LU"] == Decimal("82347.90")
    be = ReferenceFigure.objects.get(member_state="BE")
    assert (be.gdp_reference_year, be.gdp_source) == (2024, "Eurostat nama_10_gdp B1GQ CP_MEUR (flag p)")
    assert be.population == be_population


def test_gzipped_eurostat_download_is_read(cycle_with_figures, tmp_path):
    path = tmp_path / "estat_nama_10_gdp.tsv.gz"
    path.write_bytes(gzip.compress((SAMPLES / "estat_nama_10_gdp.tsv").read_bytes()))

    assert "updated 5" in run(path, "--cycle", "2026", "--period", "2024")


def test_missing_eurostat_value_for_a_state_is_refused_with_its_line(cycle_with_figures):
    before = snapshot()

    with pytest.raises(CommandError) as error:
        run(SAMPLES / "estat_tps00001.tsv", "--cycle", "2026", "--period", "2023")

    # NL has ':' for 2023; the EU27_2020 aggregate is skipped, missing or not.
    assert "1 error(s)" in str(error.value)
    assert "line 7, column 2023 (NL): missing value" in str(error.value)
    assert snapshot() == before


TSV_HEADER = "freq,indic_de,geo\\TIME_PERIOD\t2024 \t2025 "


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["A,JAN,BE\t1 \t2 ", "A,JAN,UK\t66000000 \t: "], "line 3, geo: unknown Member State code 'UK'"),
        (["A,JAN,BE\t1 \t-2 "], "line 2, column 2025 (BE): -2 is negative"),
        (["A,JAN,BE\t1 \tn/a "], "line 2, column 2025 (BE): 'n/a' is not a whole number"),
        (["A,JAN,BE\t1 \t: c"], "line 2, column 2025 (BE): missing value (flag c)"),
        (["A,JAN,GR\t1 \t2 ", "A,JAN,EL\t1 \t2 "], "line 3, geo: EL appears twice (first on line 2)"),
        (["A,JAN,BE\t1 "], "line 2: 1 values for 2 periods"),
        (["A,BE\t1 \t2 "], "line 2: 2 dimension codes for 3 dimensions"),
    ],
    ids=["unknown-code", "negative", "non-numeric", "missing-confidential", "duplicate-gr-el", "short-row", "keys"],
)
def test_a_bad_eurostat_tsv_row_is_refused_with_its_line(cycle_with_figures, tmp_path, lines, expected):
    before = snapshot()
    path = write(tmp_path, "tps00001.tsv", "\n".join([TSV_HEADER, *lines]) + "\n")

    with pytest.raises(CommandError) as error:
        run(path, "--cycle", "2026", "--period", "2025")

    assert expected in str(error.value)
    assert snapshot() == before


def test_a_wrong_eurostat_tsv_header_is_refused(cycle_with_figures, tmp_path):
    path = write(tmp_path, "tps00001.tsv", "freq,indic_de,geo\t2024 \t2025 \nA,JAN,BE\t1 \t2 \n")

    with pytest.raises(CommandError) as error:
        run(path, "--cycle", "2026", "--format", "eurostat-tsv", "--period", "2025")

    assert "line 1: malformed header 'freq,indic_de,geo'" in str(error.value)


def test_unknown_codes_of_a_full_download_can_be_skipped_and_are_listed(cycle_with_figures, tmp_path):
    path = write(
        tmp_path,
        "tps00001.tsv",
        "\n".join([TSV_HEADER, "A,JAN,BE\t1 \t11900123 ", "A,JAN,TR\t1 \t85664944 ", "A,JAN,UK\t: \t: "]),
    )

    output = run(path, "--cycle", "2026", "--period", "2025", "--skip-unknown")

    assert "Skipped codes not in the registry: TR, UK." in output
    assert ReferenceFigure.objects.get(member_state="BE").population == 11900123


def test_a_population_file_cannot_create_a_state_without_gdp(cycle, tmp_path):
    ReferenceFigureFactory(cycle=cycle, member_state=state("BE"), population=1)
    before = snapshot()

    with pytest.raises(CommandError) as error:
        run(SAMPLES / "estat_tps00001.tsv", "--cycle", "2026", "--period", "2025")

    message = str(error.value)
    assert "4 error(s)" in message  # DE, EL, LU and NL have no row; BE has one
    assert (
        "line 3, gdp_eur_million: DE has no reference figure in cycle 2026 yet and this population file gives "
        "no gdp figure" in message
    )
    assert "line 7, gdp_eur_million: NL has no reference figure" in message
    assert snapshot() == before


def test_a_gdp_file_cannot_create_a_state_without_population(cycle):
    with pytest.raises(CommandError, match=r"line 4, population: BE has no reference figure in cycle 2026 yet"):
        run(SAMPLES / "estat_nama_10_gdp.tsv", "--cycle", "2026", "--period", "2024")
    assert not ReferenceFigure.objects.exists()


def test_a_file_with_several_years_needs_a_period(cycle_with_figures):
    with pytest.raises(CommandError, match=r"periods 2023 to 2025: choose one with --period"):
        run(SAMPLES / "estat_tps00001.tsv", "--cycle", "2026")
    with pytest.raises(CommandError, match=r"no data for period 2019; the file holds periods 2023 to 2025"):
        run(SAMPLES / "estat_tps00001.tsv", "--cycle", "2026", "--period", "2019")


def test_a_dataset_that_contradicts_the_dimensions_is_refused(cycle_with_figures):
    with pytest.raises(CommandError, match=r"--dataset population does not fit this file: .* are those of gdp data"):
        run(SAMPLES / "estat_nama_10_gdp.tsv", "--cycle", "2026", "--period", "2024", "--dataset", "population")


# SDMX-CSV ---------------------------------------------------------------------------------------------


def test_sdmx_csv_gdp_download(cycle_with_figures):
    output = run(SAMPLES / "estat_nama_10_gdp_sdmx.csv", "--cycle", "2026", "--period", "2024")

    assert "sdmx-csv, gdp, period 2024, 5 state(s)" in output
    assert "created 0, updated 5, unchanged 0" in output
    be = ReferenceFigure.objects.get(member_state="BE")
    assert (be.gdp_eur_million, be.gdp_reference_year) == (Decimal("614231.90"), 2024)
    assert be.gdp_source == "Eurostat nama_10_gdp B1GQ CP_MEUR (flag p)"
    nl = ReferenceFigure.objects.get(member_state="NL")
    assert nl.gdp_eur_million == Decimal("1100420.00")


def test_sdmx_csv_population_download_with_one_year_needs_no_period(cycle_with_figures):
    output = run(SAMPLES / "estat_demo_pjan_sdmx.csv", "--cycle", "2026")

    assert "sdmx-csv, population, period 2025, 3 state(s)" in output
    assert ReferenceFigure.objects.get(member_state="DE").population == 83577140
    assert ReferenceFigure.objects.get(member_state="NL").population_reference_date == datetime.date(2025, 1, 1)


def test_the_same_sdmx_file_twice_is_all_unchanged(cycle_with_figures):
    run(SAMPLES / "estat_nama_10_gdp_sdmx.csv", "--cycle", "2026", "--period", "2024")
    before = snapshot()

    output = run(SAMPLES / "estat_nama_10_gdp_sdmx.csv", "--cycle", "2026", "--period", "2024")

    assert "created 0, updated 0, unchanged 5" in output
    assert snapshot() == before


def test_missing_sdmx_observation_is_refused_with_its_line(cycle_with_figures):
    before = snapshot()

    with pytest.raises(CommandError, match=r"line 10, OBS_VALUE \(LU\): missing value \(flag c\)"):
        run(SAMPLES / "estat_nama_10_gdp_sdmx.csv", "--cycle", "2026", "--period", "2023")
    assert snapshot() == before


SDMX_HEADER = "DATAFLOW,LAST UPDATE,freq,unit,na_item,geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG"
SDMX_ROW = "ESTAT:NAMA_10_GDP(1.0),15/10/25 23:00:00,A,CP_MEUR,B1GQ,{geo},2024,{value},{flag}"


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([("BE", "614231.9", ""), ("UK", "2800000", "")], "line 3, geo: unknown Member State code 'UK'"),
        ([("BE", "-614231.9", "")], "line 2, OBS_VALUE (BE): -614231.9 is negative"),
        ([("BE", "six hundred", "")], "line 2, OBS_VALUE (BE): 'six hundred' is not a number"),
        ([("BE", "", "")], "line 2, OBS_VALUE (BE): missing value"),
        ([("BE", "614231.9", ""), ("BE", "614231.9", "p")], "line 3, geo: BE appears twice (first on line 2)"),
    ],
    ids=["unknown-code", "negative", "non-numeric", "missing", "duplicate"],
)
def test_a_bad_sdmx_row_is_refused_with_its_line(cycle_with_figures, tmp_path, rows, expected):
    before = snapshot()
    lines = [SDMX_ROW.format(geo=geo, value=value, flag=flag) for geo, value, flag in rows]
    path = write(tmp_path, "nama_10_gdp.csv", "\n".join([SDMX_HEADER, *lines]) + "\n")

    with pytest.raises(CommandError) as error:
        run(path, "--cycle", "2026")

    assert expected in str(error.value)
    assert snapshot() == before


def test_a_wrong_sdmx_header_is_refused(cycle_with_figures, tmp_path):
    header = SDMX_HEADER.replace("OBS_VALUE", "VALUE")
    path = write(tmp_path, "nama_10_gdp.csv", f"{header}\n{SDMX_ROW.format(geo='BE', value='1', flag='')}\n")

    with pytest.raises(CommandError, match=r"line 1: malformed header: missing column\(s\) OBS_VALUE"):
        run(path, "--cycle", "2026", "--format", "sdmx-csv")


# Options ----------------------------------------------------------------------------------------------


def test_a_cycle_that_does_not_exist_is_refused(cycle):
    with pytest.raises(CommandError, match=r"There is no cycle 2031; create it first \(cycles: 2026\)"):
        run(SHIPPED, "--cycle", "2031")


def test_the_actor_must_be_a_coordinator(cycle):
    UserFactory(username="be_official", member_state=state("BE"), roles=["official"])

    with pytest.raises(CommandError, match="No active user 'nobody'"):
        run(SHIPPED, "--cycle", "2026", "--actor", "nobody")
    with pytest.raises(CommandError, match="be_official may not change reference figures"):
        run(SHIPPED, "--cycle", "2026", "--actor", "be_official")
    assert not ReferenceFigure.objects.exists()


def test_a_blank_reason_is_refused(cycle):
    with pytest.raises(CommandError, match="Give the reason"):
        run(SHIPPED, "--cycle", "2026", "--reason", "  ")


# The parsers on their own -----------------------------------------------------------------------------


def test_formats_are_recognised_from_the_first_line():
    assert importers.detect_format(HEADER + "\n") == import_parsing.CSV
    assert importers.detect_format("unit,geo\\time\t2024 \t2023 \n") == import_parsing.EUROSTAT_TSV
    assert importers.detect_format(SDMX_HEADER + "\r\n") == import_parsing.SDMX_CSV
    assert (
        importers.detect_format("geo:Geopolitical entity,TIME_PERIOD:Time,OBS_VALUE:Value\n") == import_parsing.SDMX_CSV
    )
    assert importers.detect_format("hello,world\n") is None


def test_parser_returns_rows_and_errors_without_a_database():
    text = "\n".join([HEADER, GOOD_BE, "gr,10409500,,,232100,,", "DK,5992700,2025-01-01,src,-1,2024,src"])

    result = import_csv.parse_reference_csv(text, known_codes=KNOWN)

    assert [(row.line, row.code) for row in result.rows] == [(2, "BE"), (3, "EL")]
    assert result.rows[1].values["population_reference_date"] is None
    assert [str(error) for error in result.errors] == ["line 4, gdp_eur_million: -1 is negative"]


def test_eurostat_selection_skips_aggregates_other_slices_and_reads_flags():
    result = import_eurostat.parse_eurostat_tsv(
        (SAMPLES / "estat_nama_10_gdp.tsv").read_text(), known_codes=KNOWN, period=2024, filename="x.tsv"
    )

    assert result.errors == []
    assert result.dataset == import_parsing.GDP
    assert {row.code: row.values["gdp_eur_million"] for row in result.rows} == {
        "BE": Decimal("614231.90"),
        "DE": Decimal("4305260.00"),
        "EL": Decimal("232106.20"),
        "LU": Decimal("82347.90"),
        "NL": Decimal("1100420.00"),
    }
    # Without a known dataflow in the file name, the source names the file.
    assert result.rows[0].values["gdp_source"] == "Eurostat file x.tsv B1GQ CP_MEUR (flag p)"


def test_a_file_with_none_of_the_key_slice_says_what_it_looked_for():
    text = "freq,unit,na_item,geo\\TIME_PERIOD\t2024 \nA,CLV10_MEUR,B1GQ,BE\t472874.0 p\n"

    result = import_eurostat.parse_eurostat_tsv(text, known_codes=KNOWN, period=2024)

    assert [str(error) for error in result.errors] == [
        "file: no row of the file has freq=A, unit=CP_MEUR, na_item=B1GQ"
    ]
