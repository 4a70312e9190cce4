"""A user's personal data: exported whole, then anonymised with the audit trail still readable."""

import json

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from pledges.pledging import services
from pledges.pledging.models import Pledge
from solidarity.accounts import tokens
from solidarity.accounts.models import ApiToken, User
from solidarity.platform.history import stamp
from tests.factories import TEST_PASSWORD, CycleFactory, UserFactory, state

pytestmark = pytest.mark.django_db

REASON = "Pledge announced at the High-Level Forum"


@pytest.fixture
def official(db):
    user = UserFactory(
        username="marie.dupont",
        first_name="Marie",
        last_name="Dupont",
        email="marie.dupont@diplobel.example",
        member_state=state("BE"),
        roles=["official"],
    )
    # An earlier name, kept by the account's own history.
    user.last_name = "Dupont-Martin"
    stamp(user, actor=None, reason="Name corrected")
    user.save()
    return user


@pytest.fixture
def pledge(official):
    cycle = CycleFactory(year=2027, status="pledging")
    return services.pledge_create(cycle=cycle, kind="financial", amount_eur="2500000", actor=official, reason=REASON)


@pytest.fixture
def footprint(client, official, pledge):
    """Everything a working user leaves behind: a log-in (and a failed one), a token, a second factor."""
    client.post("/accounts/login/", {"username": official.username, "password": "not-it"})
    client.post("/accounts/login/", {"username": official.username, "password": TEST_PASSWORD})
    assert client.get("/").status_code == 200
    token, key = tokens.issue_api_token(official, name="Nightly export")
    device = TOTPDevice.objects.create(user=official, name="Authenticator app", confirmed=True)
    return {"client": client, "token": token, "key": key, "device": device}


def export(username: str, tmp_path) -> dict:
    output = tmp_path / "export.json"
    call_command("export_user_data", username, "--output", str(output), stderr=open("/dev/null", "w"))  # noqa: SIM115
    return json.loads(output.read_text())


# --- Export -----------------------------------------------------------------------------------------------


def test_the_export_holds_the_account_its_actions_and_its_log_ins(official, pledge, footprint, tmp_path):
    data = export("marie.dupont", tmp_path)
    account = data["account"]
    assert (account["username"], account["first_name"], account["last_name"], account["email"]) == (
        "marie.dupont",
        "Marie",
        "Dupont-Martin",
        "marie.dupont@diplobel.example",
    )
    assert account["member_state"] == "BE"
    assert account["roles"] == ["official"]
    # What the user did, from the audit trail.
    changes = [c for c in data["changes_made"] if c["object_type"] == "pledges.pledge"]
    assert [(c["object_id"], c["change"], c["reason"], c["user"]) for c in changes] == [
        (str(pledge.pk), "created", REASON, "marie.dupont")
    ]
    # The account's own versions, with the earlier name.
    assert any("Dupont -> Dupont-Martin" in row["changes"] for row in data["account_history"])
    assert {"model": "pledges.pledge", "field": "recorded_by", "ids": [str(pledge.pk)]} in data[
        "records_referring_to_the_user"
    ]
    assert [(t["name"], bool(t["created"]), bool(t["expiry"])) for t in data["api_tokens"]] == [
        ("Nightly export", True, True)
    ]
    assert [(d["name"], d["confirmed"]) for d in data["second_factor_devices"]] == [("Authenticator app", True)]
    assert len(data["log_ins"]) == 1
    assert data["log_ins"][0]["ip_address"] == "127.0.0.1"
    assert len(data["failed_log_ins"]) == 1


def test_the_export_holds_no_secret(official, footprint, tmp_path):
    text = json.dumps(export("marie.dupont", tmp_path))
    official.refresh_from_db()
    for secret in (footprint["key"], footprint["token"].digest, footprint["device"].key, official.password):
        assert secret not in text


def test_the_export_goes_to_standard_output_by_default(official, capsys):
    call_command("export_user_data", "marie.dupont")
    assert json.loads(capsys.readouterr().out)["account"]["email"] == "marie.dupont@diplobel.example"


def test_an_unknown_user_is_named_in_the_error(db):
    with pytest.raises(CommandError, match="No user is called 'nobody'"):
        call_command("export_user_data", "nobody")


# --- Anonymisation ----------------------------------------------------------------------------------------


def anonymise(username: str, *extra: str) -> None:
    call_command("anonymise_user", username, "--yes", *extra, stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_anonymisation_replaces_the_identity_by_a_pseudonym(official, footprint):
    anonymise("marie.dupont")
    user = User.objects.get(pk=official.pk)
    pseudonym = f"user-{official.pk}"
    assert (user.username, user.first_name, user.last_name, user.email) == (pseudonym, "", "", "")
    assert user.is_active is False
    assert not user.has_usable_password()
    # Its delegation and roles stay: what the actor acted as is part of the record.
    assert user.member_state_id == "BE"
    assert list(user.groups.values_list("name", flat=True)) == ["official"]


def test_anonymisation_erases_the_earlier_names_from_the_account_history(official):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    entry = LogEntry.objects.create(
        user=admin,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(official.pk),
        object_repr="marie.dupont",
        action_flag=CHANGE,
        change_message="[]",
    )
    anonymise("marie.dupont")
    entry.refresh_from_db()
    assert entry.object_repr == f"user-{official.pk}"  # the admin's own log of changes to the account
    rows = list(User.history.filter(id=official.pk).values("username", "first_name", "last_name", "email"))
    assert len(rows) >= 3  # created, renamed, anonymised: the versions stay, the names go
    for row in rows:
        assert row == {"username": f"user-{official.pk}", "first_name": "", "last_name": "", "email": ""}
    latest = User.history.filter(id=official.pk).latest("history_date")
    assert latest.history_change_reason == "Personal data anonymised on request"


def test_anonymisation_removes_credentials_sessions_and_log_in_records(official, footprint):
    client = footprint["client"]
    anonymise("marie.dupont")
    assert not ApiToken.objects.filter(user=official).exists()
    assert not TOTPDevice.objects.filter(user=official).exists()
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        assert not model.objects.filter(username="marie.dupont").exists(), model
    # The open session is gone, and neither the old name nor the pseudonym logs in.
    assert client.get("/").status_code == 302
    for username in ("marie.dupont", f"user-{official.pk}"):
        response = client.post("/accounts/login/", {"username": username, "password": TEST_PASSWORD})
        assert response.status_code == 200


def test_the_audit_trail_stays_readable_and_untouched(official, pledge, auditor, client):
    history = list(Pledge.history.filter(id=pledge.pk).values())
    anonymise("marie.dupont")
    assert list(Pledge.history.filter(id=pledge.pk).values()) == history  # not one domain history row changed
    client.force_login(auditor)
    html = client.get("/audit/", {"model": "pledges.pledge"}).content.decode()
    assert f"user-{official.pk}" in html
    assert REASON in html
    for personal in ("marie.dupont", "Dupont", "diplobel"):
        assert personal not in html
    page = client.get(f"/audit/pledges.pledge/{pledge.pk}/").content.decode()
    assert f"user-{official.pk}" in page
    assert "marie.dupont" not in page


@pytest.mark.skipif(connection.vendor != "postgresql", reason="append-only history is enforced on PostgreSQL")
def test_domain_history_stays_append_only_while_the_user_history_may_be_anonymised(official, pledge):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Pledge.history.filter(id=pledge.pk).update(history_change_reason="rewritten")
    anonymise("marie.dupont")  # the one rewrite the user's own history lets through
    # Once more (say, after a failed export of the result): the versions already anonymised are left alone.
    anonymise(f"user-{official.pk}")
    assert set(User.history.filter(id=official.pk).values_list("username", flat=True)) == {f"user-{official.pk}"}


def test_the_export_after_anonymisation_holds_no_personal_data(official, pledge, tmp_path):
    anonymise("marie.dupont")
    data = export(f"user-{official.pk}", tmp_path)
    text = json.dumps(data)
    for personal in ("marie", "Marie", "Dupont", "diplobel"):
        assert personal not in text
    assert [c["user"] for c in data["changes_made"]] == [f"user-{official.pk}"]


def test_anonymisation_asks_for_confirmation(official, monkeypatch):
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="Nothing was changed"):
        call_command("anonymise_user", "marie.dupont")
    assert User.objects.get(pk=official.pk).username == "marie.dupont"


def test_anonymisation_refuses_to_take_another_accounts_name(official):
    UserFactory(username=f"user-{official.pk}")
    with pytest.raises(CommandError, match=f"another account is already called user-{official.pk}"):
        anonymise("marie.dupont")
    assert User.objects.get(pk=official.pk).email == "marie.dupont@diplobel.example"
