"""The audit log: auditors read every change (who, when, why, from where, before and after); nobody else does."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from compliance.models import Finding
from compliance.services import finding_transition
from pledges.pledging import services as pledge_services
from pledges.pledging.models import Pledge
from solidarity.domain.models import Designation, SolidarityCycle
from solidarity.platform.audit import AuditFilters, Cursor, audit_log_page, audit_sources, source_for
from solidarity.platform.audit_as_of import object_as_of
from solidarity.platform.workflow import save_audited
from tests.conftest import api_as
from tests.factories import COMMISSION_REPORT, CycleFactory, UserFactory, state

pytestmark = pytest.mark.django_db

PROPOSE_IP = "203.0.113.7"
SECRET_REASON = "NL delegation's confidential reasoning"


def page_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _finding(officer, cycle, code="IT"):
    finding = Finding(
        member_state=state(code), cycle=cycle, scope="Take-back transfers", description="Delays", **COMMISSION_REPORT
    )
    save_audited(finding, actor=officer, reason="Commission assessment received", bump_version=False)
    return finding


@pytest.fixture
def trail(coordinator, be_official, nl_official, compliance_officer):
    """A cycle moved over HTTP, pledges of BE and NL made and submitted through services, a finding confirmed."""
    cycle = CycleFactory(year=2027)
    client = api_as(coordinator)
    for transition, request_id in (("propose", "req-propose-1"), ("open_pledging", "req-open-2")):
        response = client.post(
            "/api/v1/cycles/2027/transition/",
            {"transition": transition, "reason": f"Commission step: {transition}"},
            format="json",
            REMOTE_ADDR=PROPOSE_IP,
            HTTP_X_REQUEST_ID=request_id,
        )
        assert response.status_code == 200, response.content
    be_pledge = pledge_services.pledge_create(
        cycle=cycle, kind="financial", amount_eur="1000000.00", actor=be_official, reason="BE pledges at the Forum"
    )
    be_pledge = pledge_services.pledge_transition(
        pledge=be_pledge, transition="submit", actor=be_official, reason="Agreed in Brussels"
    )
    nl_pledge = pledge_services.pledge_create(
        cycle=cycle, kind="relocation", quantity=300, actor=nl_official, reason=SECRET_REASON
    )
    finding = _finding(compliance_officer, cycle)
    finding_transition(finding=finding, transition="assess", actor=compliance_officer, reason="Assessment opened")
    finding = finding_transition(
        finding=finding, transition="confirm", actor=compliance_officer, reason="Systemic shortcomings found"
    )
    return {"cycle": cycle, "be_pledge": be_pledge, "nl_pledge": nl_pledge, "finding": finding}


def all_rows(filters: AuditFilters | None = None) -> set[tuple[str, int]]:
    """Every (model, history_id) the log should hold, read straight from the history tables."""
    rows = set()
    for source in audit_sources().values():
        if filters and filters.model and source.label != filters.model:
            continue
        for history_id in source.history_model.objects.values_list("history_id", flat=True):
            rows.add((source.label, history_id))
    return rows


def api_items(client, query: str = "") -> list[dict]:
    """Every item of the API's log, following `next` links."""
    items, url = [], f"/api/v1/history/{query}"
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        items += body["results"]
        url = body["next"]
    return items


# --- What an auditor finds ---------------------------------------------------------------------------------


def test_auditor_finds_a_cycle_transition_made_over_http_with_user_reason_ip_and_request_id(
    trail, auditor, coordinator
):
    response = page_as(auditor).get("/audit/", {"model": "solidarity.solidaritycycle", "transition": "propose"})
    assert response.status_code == 200
    (entry,) = response.context["entries"]
    record = entry.record
    assert (entry.username, record.history_change_reason, record.history_transition) == (
        coordinator.username,
        "Commission step: propose",
        "propose",
    )
    assert (record.history_ip_address, record.history_request_id) == (PROPOSE_IP, "req-propose-1")
    assert [(c.field, c.old, c.new) for c in entry.changes] == [("status", "preparation", "proposed")]
    html = response.content.decode()
    for text in (PROPOSE_IP, "req-propose-1", "Commission step: propose", "/audit/solidarity.solidaritycycle/"):
        assert text in html


def test_auditor_finds_pledge_creation_and_submission_and_finding_confirmation(trail, auditor, be_official):
    entries = audit_log_page(AuditFilters()).entries
    by_what = {(e.source.label, e.object_id, e.kind, e.record.history_transition): e for e in entries}
    pledge_id = str(trail["be_pledge"].pk)
    created = by_what[("pledges.pledge", pledge_id, "created", "")]
    assert (created.username, created.record.history_change_reason) == (be_official.username, "BE pledges at the Forum")
    assert ("amount_eur", None, Decimal("1000000.00")) in [(c.field, c.old, c.new) for c in created.changes]
    assert created.member_state == "BE"
    submitted = by_what[("pledges.pledge", pledge_id, "changed", "submit")]
    assert [(c.field, c.old, c.new) for c in submitted.changes] == [("status", "draft", "submitted")]
    assert submitted.record.history_change_reason == "Agreed in Brussels"
    confirmed = by_what[("compliance.finding", str(trail["finding"].pk), "changed", "confirm")]
    changed = {c.field: (c.old, c.new) for c in confirmed.changes}
    assert changed["status"] == ("under_assessment", "confirmed")
    assert changed["confirmed_on"] == (None, timezone.localdate())
    assert confirmed.username == "compliance"
    # Newest first, across every table.
    dates = [(e.record.history_date, e.source.index, e.record.history_id) for e in entries]
    assert dates == sorted(dates, reverse=True)


def test_api_lists_the_changes_with_their_diffs(trail, auditor, coordinator):
    response = api_as(auditor).get(
        "/api/v1/history/", {"model": "solidarity.solidaritycycle", "transition": "open_pledging"}
    )
    assert response.status_code == 200
    (item,) = response.json()["results"]
    assert item == {
        "model": "solidarity.solidaritycycle",
        "object_id": str(trail["cycle"].year),  # a cycle is named by its year
        "history_id": item["history_id"],
        "date": item["date"],
        "user": coordinator.username,
        "type": "changed",
        "transition": "open_pledging",
        "reason": "Commission step: open_pledging",
        "ip_address": PROPOSE_IP,
        "request_id": "req-open-2",
        "member_state": None,
        "changes": [{"field": "status", "old": "proposed", "new": "pledging"}],
    }
    assert datetime.datetime.fromisoformat(item["date"]) <= timezone.now()


def test_a_role_given_to_a_user_shows_as_a_change_of_groups(auditor):
    user = UserFactory(username="newcomer")
    user.groups.add(Group.objects.get(name="official"))
    items = api_items(api_as(auditor), f"?model=solidarity.user&object_id={user.pk}")
    assert {"field": "groups", "old": "", "new": "official"} in items[0]["changes"]


# --- Filters ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "holds"),
    [
        (lambda trail: {"user": "be_official"}, lambda item: item["user"] == "be_official"),
        (lambda trail: {"member_state": "NL"}, lambda item: item["member_state"] == "NL"),
        (lambda trail: {"model": "compliance.finding"}, lambda item: item["model"] == "compliance.finding"),
        (lambda trail: {"transition": "submit"}, lambda item: item["transition"] == "submit"),
        (
            lambda trail: {"object_id": trail["nl_pledge"].pk},
            lambda item: item["object_id"] == str(Pledge.objects.get(member_state="NL").pk),
        ),
    ],
    ids=["user", "member_state", "model", "transition", "object_id"],
)
def test_each_filter_keeps_exactly_the_matching_changes(trail, auditor, query, holds):
    everything = api_items(api_as(auditor), "?page_size=200")
    expected = [item for item in everything if holds(item)]
    found = api_items(api_as(auditor), "?" + "&".join(f"{k}={v}" for k, v in query(trail).items()))
    assert found == expected
    assert 0 < len(found) < len(everything)


def test_filter_by_object_finds_every_change_of_that_pledge_only(trail, auditor):
    pledge = trail["be_pledge"]
    items = api_items(api_as(auditor), f"?model=pledges.pledge&object_id={pledge.pk}")
    assert [(i["type"], i["transition"]) for i in items] == [("changed", "submit"), ("created", "")]
    assert {i["object_id"] for i in items} == {str(pledge.pk)}


def test_date_range_keeps_changes_in_range_with_whole_days_included(trail, auditor, coordinator):
    middle = trail["be_pledge"].history.order_by("history_date").first().history_date
    client = api_as(auditor)
    after = api_items(client, "?" + f"date_after={middle.isoformat()}".replace("+", "%2B"))
    before = api_items(client, "?" + f"date_before={middle.isoformat()}".replace("+", "%2B"))
    assert after and before
    assert all(datetime.datetime.fromisoformat(i["date"]) >= middle for i in after)
    assert all(datetime.datetime.fromisoformat(i["date"]) < middle for i in before)
    assert len(after) + len(before) == len(api_items(client))
    today = timezone.localdate()
    assert len(api_items(client, f"?date_after={today}&date_before={today}")) == len(api_items(client))
    assert api_items(client, f"?date_after={today + datetime.timedelta(days=1)}") == []


def test_filters_on_the_page_narrow_the_table(trail, auditor):
    response = page_as(auditor).get("/audit/", {"user": "nl_official"})
    assert response.status_code == 200
    entries = response.context["entries"]
    assert [(e.source.label, e.record.history_change_reason) for e in entries] == [("pledges.pledge", SECRET_REASON)]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"user": "nobody-like-this"}, "user"),
        ({"member_state": "XX"}, "member_state"),
        ({"model": "pledges.nothing"}, "model"),
        ({"model": "pledges.pledge", "object_id": "BE"}, "object_id"),
        ({"date_after": "1 July"}, "date_after"),
        ({"date_after": "2026-07-02", "date_before": "2026-07-01"}, "date_before"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"page_size": "0"}, "page_size"),
    ],
)
def test_a_bad_filter_is_refused_with_the_field_it_concerns(auditor, query, field):
    response = api_as(auditor).get("/api/v1/history/", query)
    assert response.status_code == 400
    assert field in {error["attr"] for error in response.json()["errors"]}
    page = page_as(auditor).get("/audit/", query)
    if field != "page_size":
        assert page.status_code == 400
        assert 'class="error-summary"' in page.content.decode()


# --- Keyset pagination ---------------------------------------------------------------------------------------


@pytest.fixture
def ties(coordinator):
    """Rows in several tables written at one and the same instant: the keyset must still order them."""
    moment = timezone.now() - datetime.timedelta(days=3)
    for year in (2030, 2031, 2032):
        cycle = SolidarityCycle(year=year, reference_relocations=30000, reference_financial_eur=Decimal("6E8"))
        cycle._history_date = moment
        cycle.save()
        for code in ("BE", "NL"):
            designation = Designation(cycle=cycle, member_state=state(code), kind="at_risk")
            designation._history_date = moment
            designation.save()
    return moment


def test_keyset_pages_return_every_row_exactly_once_forwards_and_backwards(trail, ties, auditor):
    client = api_as(auditor)
    pages, url = [], "/api/v1/history/?page_size=4"
    while url:
        body = client.get(url).json()
        pages.append([(i["model"], i["history_id"]) for i in body["results"]])
        last_previous = body["previous"]
        url = body["next"]
    seen = [row for page in pages for row in page]
    assert len(seen) == len(set(seen))
    assert set(seen) == all_rows()
    assert len(pages) > 3
    # Back from the last page with "previous": the same pages, in reverse.
    back, url = [], last_previous
    while url:
        body = client.get(url).json()
        back.append([(i["model"], i["history_id"]) for i in body["results"]])
        url = body["previous"]
    assert back == pages[-2::-1]


def test_keyset_pagination_with_a_filter_on_the_page(trail, ties, auditor):
    client = page_as(auditor)
    seen, query = [], {"date_before": timezone.localdate().isoformat()}
    while True:
        response = client.get("/audit/", query)
        assert response.status_code == 200
        seen += [(e.source.label, e.record.history_id) for e in response.context["entries"]]
        if not response.context["older"]:
            break
        assert "Older changes" in response.content.decode()
        query = {**query, "cursor": response.context["older"]}
    assert sorted(seen) == sorted(all_rows())
    assert len(seen) == len(set(seen))


def test_pages_of_50_cross_tables_without_overlap(trail, ties, auditor):
    first = audit_log_page(AuditFilters(), size=5)
    second = audit_log_page(AuditFilters(), cursor=first.older, size=5)
    back = audit_log_page(AuditFilters(), cursor=second.newer, size=5)
    assert [e.record for e in back.entries] == [e.record for e in first.entries]
    assert not {id(e.record) for e in first.entries} & {id(e.record) for e in second.entries}
    assert first.newer is None and back.newer is None
    assert Cursor.decode(first.older.encode()) == first.older


# --- As of a date -----------------------------------------------------------------------------------------------


def test_as_of_shows_the_values_of_the_time_and_says_when_it_did_not_exist(be_official, auditor):
    cycle = CycleFactory(year=2027, status="pledging")
    before_creation = timezone.now()
    pledge = pledge_services.pledge_create(
        cycle=cycle, kind="financial", amount_eur="100.00", actor=be_official, reason="First offer"
    )
    between = timezone.now()
    pledge_services.pledge_update(
        pledge=pledge, changes={"amount_eur": "250.00"}, expected_version=1, actor=be_official, reason="Raised"
    )
    source = source_for("pledges.pledge")

    then = object_as_of(source, pledge.pk, between)
    values = {v.name: v.value for v in then.values}
    assert (then.status, values["amount_eur"], values["status"]) == ("existed", Decimal("100.00"), "draft")
    assert then.record.history_change_reason == "First offer"
    now = object_as_of(source, pledge.pk, timezone.now())
    assert {v.name: v.value for v in now.values}["amount_eur"] == Decimal("250.00")
    assert object_as_of(source, pledge.pk, before_creation).status == "not_created_yet"

    client = api_as(auditor)
    body = client.get(
        "/api/v1/history/as-of/", {"model": "pledges.pledge", "object_id": pledge.pk, "at": between.isoformat()}
    ).json()
    assert (body["status"], body["fields"]["amount_eur"], body["fields"]["member_state"]) == ("existed", "100.00", "BE")
    assert body["recorded_by"] == "be_official"
    body = client.get(
        "/api/v1/history/as-of/",
        {"model": "pledges.pledge", "object_id": pledge.pk, "at": before_creation.isoformat()},
    ).json()
    assert (body["status"], body["fields"]) == ("not_created_yet", None)

    page = page_as(auditor).get(f"/audit/pledges.pledge/{pledge.pk}/", {"as_of": between.isoformat()})
    assert page.status_code == 200
    html = page.content.decode()
    assert "100.00" in html and "First offer" in html and "Raised" in html
    assert page.context["as_of"].status == "existed"
    early = page_as(auditor).get(f"/audit/pledges.pledge/{pledge.pk}/", {"as_of": "2020-01-01T00:00"})
    assert "did not exist yet" in early.content.decode()


def test_as_of_after_a_deletion_says_so_and_the_history_page_still_opens(coordinator, auditor):
    cycle = CycleFactory(year=2027)
    designation = Designation.objects.create(cycle=cycle, member_state=state("EL"), kind="at_risk")
    pk, existed_at = designation.pk, timezone.now()
    designation.delete()
    source = source_for("solidarity.designation")
    assert object_as_of(source, pk, existed_at).status == "existed"
    assert object_as_of(source, pk, timezone.now()).status == "deleted"
    page = page_as(auditor).get(f"/audit/solidarity.designation/{pk}/", {"as_of": timezone.now().isoformat()})
    assert page.status_code == 200
    assert "has been deleted" in page.content.decode()
    assert "had been deleted" in page.content.decode()
    assert page_as(auditor).get(f"/audit/solidarity.designation/{pk + 1000}/").status_code == 404
    assert page_as(auditor).get("/audit/pledges.nothing/1/").status_code == 404


# --- Who may read it --------------------------------------------------------------------------------------------

NON_AUDITORS = ["be_official", "nl_official", "be_negotiator", "coordinator", "compliance_officer", "outsider"]


@pytest.mark.parametrize("persona", NON_AUDITORS)
def test_nobody_but_an_auditor_reads_the_log_pages_exports_or_api(trail, persona, request):
    user = request.getfixturevalue(persona)
    pledge = trail["nl_pledge"]
    page_client, client = page_as(user), api_as(user)
    responses = [
        page_client.get("/audit/"),
        page_client.get("/audit/", {"format": "csv"}),
        page_client.get("/audit/", {"format": "xlsx", "member_state": "NL"}),
        page_client.get(f"/audit/pledges.pledge/{pledge.pk}/"),
        page_client.get(f"/audit/pledges.pledge/{pledge.pk}/", {"as_of": timezone.now().isoformat()}),
        client.get("/api/v1/history/"),
        client.get("/api/v1/history/", {"member_state": "NL"}),
        client.get("/api/v1/history/as-of/", {"model": "pledges.pledge", "object_id": pledge.pk, "at": "2030-01-01"}),
    ]
    for response in responses:
        assert response.status_code == 403
        # No row of any state leaks: not the NL reason, not the object's type or kind, no history row.
        for secret in (SECRET_REASON, "pledges.pledge", "Relocation", "history_id"):
            assert secret.encode() not in response.content
    assert "Audit log" not in page_client.get("/").content.decode()


def test_anonymous_visitors_are_sent_to_log_in_or_refused(trail):
    response = Client().get("/audit/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert Client().get("/api/v1/history/").status_code in (401, 403)


def test_the_auditor_sees_the_audit_log_link(auditor):
    html = page_as(auditor).get("/").content.decode()
    assert 'href="/audit/"' in html


# --- Constant number of queries --------------------------------------------------------------------------------


def _grow(cycle, be_official, compliance_officer, rounds: int):
    """More rows in the same tables: pledge revisions, cycle edits, findings."""
    pledge = Pledge.objects.get(cycle=cycle, member_state_id="BE")
    pledge = pledge_services.pledge_transition(pledge=pledge, transition="reopen", actor=be_official, reason="Reopen")
    for index in range(rounds):
        pledge = pledge_services.pledge_update(
            pledge=pledge,
            changes={"amount_eur": f"{2000000 + index}.00"},
            expected_version=pledge.version,
            actor=be_official,
            reason=f"Revision {index}",
        )
        _finding(compliance_officer, cycle, code=["EL", "IT", "MT", "CY", "ES"][index % 5])


@pytest.mark.parametrize("rounds", [0, 40])
def test_log_page_and_api_run_a_constant_number_of_queries(
    trail, be_official, compliance_officer, auditor, rounds, django_assert_max_num_queries
):
    _grow(trail["cycle"], be_official, compliance_officer, rounds)
    client, api = page_as(auditor), api_as(auditor)
    client.get("/audit/")  # the session and the user are loaded once per request either way
    # PostgreSQL reads the keys of a page in one UNION; SQLite, which cannot order and slice its arms, in one
    # query per history table: more queries, as many whatever the rows.
    per_table = 0 if connection.features.supports_slicing_ordering_in_compound else len(audit_sources()) - 1
    with django_assert_max_num_queries(14 + per_table):
        response = client.get("/audit/")
    assert len(response.context["entries"]) == min(50, len(all_rows()))
    with django_assert_max_num_queries(14 + per_table):
        older = client.get("/audit/", {"cursor": response.context["older"]} if response.context["older"] else {})
    assert older.status_code == 200
    with django_assert_max_num_queries(12 + per_table):
        body = api.get("/api/v1/history/", {"page_size": 100}).json()
    assert len(body["results"]) == min(100, len(all_rows()))
    with django_assert_max_num_queries(10 + per_table):
        api.get("/api/v1/history/", {"model": "pledges.pledge", "user": "be_official", "member_state": "BE"})


# --- Exports -----------------------------------------------------------------------------------------------------


def test_csv_export_of_the_filtered_log_parses(trail, auditor):
    response = page_as(auditor).get("/audit/", {"format": "csv", "model": "pledges.pledge"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == Pledge.history.count() == 3
    submitted = next(row for row in rows if row["Transition"] == "submit")
    assert (submitted["User"], submitted["Member State"], submitted["Reason"]) == (
        "be_official",
        "BE",
        "Agreed in Brussels",
    )
    assert submitted["Changes"] == "status: draft -> submitted"
    assert submitted["Object id"] == str(trail["be_pledge"].pk)


def test_xlsx_export_of_the_filtered_log_parses(trail, auditor):
    response = page_as(auditor).get("/audit/", {"format": "xlsx", "model": "compliance.finding"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, *rows = list(sheet.values)
    assert header[:4] == ("When", "User", "Object type", "Object id")
    assert [row[6] or "" for row in rows] == ["confirm", "assess", ""]
    assert all(isinstance(row[0], datetime.datetime) for row in rows)
    assert rows[0][7] == "Systemic shortcomings found"


def test_an_export_over_the_cap_is_refused_with_a_message(trail, auditor, monkeypatch):
    monkeypatch.setattr("solidarity.platform.audit_views.EXPORT_CAP", 3)
    response = page_as(auditor).get("/audit/", {"format": "csv"})
    assert response.status_code == 400
    assert "More than 3 changes match these filters" in response.content.decode()
    assert page_as(auditor).get("/audit/", {"format": "csv", "model": "pledges.pledge"}).status_code == 200


def test_export_audit_command_writes_csv_and_xlsx_without_a_cap(trail, tmp_path, monkeypatch):
    monkeypatch.setattr("solidarity.platform.audit_export.EXPORT_CAP", 1)
    out = io.StringIO()
    call_command(
        "export_audit", str(tmp_path / "log.csv"), "--member-state", "BE", "--model", "pledges.pledge", stdout=out
    )
    with (tmp_path / "log.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["Member State"] for row in rows} == {"BE"}
    assert len(rows) == 2
    assert "Wrote 2 changes" in out.getvalue()

    call_command("export_audit", str(tmp_path / "log.xlsx"), stdout=io.StringIO())
    sheet = openpyxl.load_workbook(tmp_path / "log.xlsx").active
    assert sheet.max_row - 1 == len(all_rows())
    assert not list(tmp_path.glob("*.part"))

    with pytest.raises(CommandError, match="--member-state"):
        call_command("export_audit", str(tmp_path / "bad.csv"), "--member-state", "XX")
    with pytest.raises(CommandError, match="format"):
        call_command("export_audit", str(tmp_path / "log.txt"))


# --- Schema ------------------------------------------------------------------------------------------------------


def test_the_history_endpoints_are_in_the_schema_without_warnings():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    complaints = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    GENERATOR_STATS.reset()
    assert [message for message in complaints if "audit" in message or "History" in message] == []
    listing = schema["paths"]["/api/v1/history/"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {
        "model",
        "object_id",
        "user",
        "member_state",
        "date_after",
        "date_before",
        "transition",
        "cursor",
    }
    assert {"200", "400", "403"} <= set(listing["responses"])
    assert "/api/v1/history/as-of/" in schema["paths"]
