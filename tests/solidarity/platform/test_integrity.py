"""The audit trail resists tampering: the database refuses to rewrite history, and no code bypasses it."""

import ast
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from pledges.pledging import services
from pledges.pledging.models import Pledge
from solidarity.platform.integrity import history_tables
from tests.factories import CycleFactory

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
    assert "solidarity_historicaluser" not in tables  # exempt: anonymisation rewrites a person's own rows
    out = __import__("io").StringIO()
    call_command("verify_audit", stdout=out)
    assert f"All {len(tables)} history tables are append-only." in out.getvalue()


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
