"""The audit trail resists tampering: the database refuses to rewrite history, and no code bypasses it."""

import ast
import datetime
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone
from simple_history.models import registered_models

from pledges.pledging import services
from pledges.pledging.models import Pledge
from solidarity.accounts.models import User
from solidarity.platform.integrity import history_tables
from tests.factories import CycleFactory, UserFactory

pytestmark = pytest.mark.django_db
APPEND_ONLY = pytest.mark.postgresql("history is made append-only by PostgreSQL triggers")
ROOT = Path(__file__).resolve().parents[3]
PRODUCT = ("solidarity", "pledges", "compliance")
# Modules allowed to speak SQL: the triggers' installer, and the audit log's read-only union of history tables.
SQL_ALLOWED = {
    "solidarity/platform/integrity.py",
    "solidarity/platform/audit.py",
}


@pytest.fixture
def pledge_with_history(be_official):
    cycle = CycleFactory(year=2027, status="pledging")
    return services.pledge_create(cycle=cycle, kind="financial", amount_eur="10.00", actor=be_official, reason="r")


@APPEND_ONLY
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE pledges_historicalpledge SET amount_eur = 1",
        "DELETE FROM pledges_historicalpledge",
        "SET CONSTRAINTS ALL IMMEDIATE; SET LOCAL registry.allow_history_truncate = 'off'; "
        "TRUNCATE pledges_historicalpledge",
    ],
)
def test_history_tables_refuse_rewrites(pledge_with_history, statement):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert Pledge.history.model.objects.get().amount_eur.__str__() == "10.00"


@APPEND_ONLY
def test_every_history_table_is_covered_and_verify_audit_says_so(pledge_with_history):
    tables = history_tables()
    assert "pledges_historicalpledge" in tables and "compliance_historicalfinding" in tables
    assert {"solidarity_historicaluser", "solidarity_historicaluser_groups"} <= set(tables)
    out = __import__("io").StringIO()
    call_command("verify_audit", stdout=out)
    assert f"All {len(tables)} history tables are append-only." in out.getvalue()


def simple_history_models() -> list:
    """Every history model simple-history made (``HistoricalRecords``), its many-to-many histories included."""
    found = set()
    for tracked in registered_models.values():
        manager = getattr(tracked._meta, "simple_history_manager_attribute", None)
        if manager is None:  # the through model of a tracked many-to-many field, e.g. the user's groups
            continue
        history = getattr(tracked, manager).model
        found |= {history, *(getattr(history, field.name).model for field in history._history_m2m_fields)}
    return sorted(found, key=lambda model: model._meta.db_table)


HISTORY_MODELS = simple_history_models()

SAMPLE_VALUES = {
    models.BooleanField: False,
    models.DateTimeField: timezone.now,
    models.DateField: datetime.date.today,
    models.DecimalField: Decimal("1"),
    models.FloatField: 1.0,
    models.IntegerField: 1,
    models.JSONField: dict,
    models.UUIDField: uuid.uuid4,
    models.DurationField: datetime.timedelta,
    models.CharField: "x",
    models.TextField: "x",
    models.ForeignKey: 1,  # history tables keep keys without constraints
}


def a_history_row(model) -> int:
    """A row in ``model``'s table, made from its fields alone; returns its key."""
    values = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.null or field.has_default():
            continue
        sample = next(value for kind, value in SAMPLE_VALUES.items() if isinstance(field, kind))
        values[field.attname] = sample() if callable(sample) else sample
    return model._default_manager.bulk_create([model(**values)])[0].pk


def test_the_models_list_every_history_table_the_triggers_cover():
    tables = [model._meta.db_table for model in HISTORY_MODELS]
    assert {"solidarity_historicaluser", "solidarity_historicaluser_groups", "pledges_historicalpledge"} <= set(tables)
    assert sorted(tables) == history_tables()


@APPEND_ONLY
@pytest.mark.parametrize("model", HISTORY_MODELS, ids=lambda model: model._meta.db_table)
@pytest.mark.parametrize(
    "statement", ["UPDATE {table} SET {key} = {key} WHERE {key} = %s", "DELETE FROM {table} WHERE {key} = %s"]
)
def test_every_history_table_refuses_update_and_delete(model, statement):
    key = a_history_row(model)
    sql = statement.format(table=model._meta.db_table, key=model._meta.pk.column)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [key])
    assert model._default_manager.filter(pk=key).exists()


@APPEND_ONLY
def test_role_changes_are_in_the_history_and_stay_there(db):
    user = UserFactory(username="rolling", roles=["official"])
    user.groups.add(Group.objects.get(name="auditor"))
    user.groups.remove(Group.objects.get(name="official"))
    versions = [{row.group.name for row in version.groups.all()} for version in User.history.filter(id=user.pk)]
    assert versions[0] == {"auditor"} and {"official"} in versions
    groups_history = User.history.model.groups.model
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        groups_history.objects.filter(user_id=user.pk).update(group=Group.objects.get(name="coordinator"))


@APPEND_ONLY
@pytest.mark.parametrize(
    "change",
    [
        {"username": "someone-else"},
        {"is_staff": True},
        {"username": "user-{pk}", "first_name": "", "last_name": "", "email": "", "is_superuser": True},
        {"username": "user-{pk}", "first_name": "", "last_name": "", "email": "", "history_change_reason": "x"},
    ],
)
def test_a_users_history_takes_no_rewrite_but_the_anonymisation(db, change):
    user = UserFactory(username="marie", first_name="Marie", email="marie@example.org")
    values = {name: value.format(pk=user.pk) if isinstance(value, str) else value for name, value in change.items()}
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        User.history.filter(id=user.pk).update(**values)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        User.history.filter(id=user.pk).delete()
    User.history.filter(id=user.pk).update(username=f"user-{user.pk}", first_name="", last_name="", email="")
    assert set(User.history.filter(id=user.pk).values_list("username", flat=True)) == {f"user-{user.pk}"}


@APPEND_ONLY
def test_verify_audit_fails_when_a_trigger_is_missing(pledge_with_history):
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER history_append_only_row ON pledges_historicalpledge")
    with pytest.raises(CommandError, match="pledges_historicalpledge"):
        call_command("verify_audit", stdout=__import__("io").StringIO())
    call_command("verify_audit", "--repair", stdout=__import__("io").StringIO())


def _product_files():
    for app in PRODUCT:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def _queryset_update_calls(tree):
    """Calls like Model.objects.filter(...).update(...) or qs.select_for_update().update(...)."""
    queryset_methods = {"objects", "filter", "exclude", "all", "select_for_update", "select_related", "_base_manager"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "update":
            target = node.func.value
            chain = []
            while isinstance(target, ast.Call | ast.Attribute):
                if isinstance(target, ast.Attribute):
                    chain.append(target.attr)
                target = target.func if isinstance(target, ast.Call) else target.value
            if queryset_methods & set(chain):
                yield node.lineno


def test_no_product_code_bypasses_history():
    """No QuerySet.update(), raw SQL or cursor outside the integrity module: each would write no history row."""
    offenders = []
    for path in _product_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        offenders += [f"{path.relative_to(ROOT)}:{line} QuerySet.update()" for line in _queryset_update_calls(tree)]
        if not any(path.relative_to(ROOT).as_posix().startswith(allowed) for allowed in SQL_ALLOWED):
            for node in ast.walk(tree):
                if isinstance(node, ast.Attribute) and node.attr in {"raw", "cursor", "execute", "bulk_update"}:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}")
    assert offenders == []


def test_the_guard_itself_finds_a_bypass():
    tree = ast.parse("Pledge.objects.filter(pk=1).update(status='recorded')\nvalues.update(a=1)\n")
    assert list(_queryset_update_calls(tree)) == [1]
