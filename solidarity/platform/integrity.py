"""Append-only history on PostgreSQL: triggers refuse UPDATE, DELETE and TRUNCATE of every history table.

The audit trail is only worth what it resists: the application never rewrites a history row, and the
database refuses it too, whatever code or console tries. The triggers are (re)installed after every
`migrate`, so a history table added by a later migration is covered without anyone remembering it.
"""

from dataclasses import dataclass

from django.apps import apps
from django.db import DatabaseError, connection, transaction

TRIGGER_FUNCTION = "registry_history_append_only"
ROW_TRIGGER = "history_append_only_row"
TRUNCATE_TRIGGER = "history_append_only_truncate"

# The users' own history may be rewritten by the anonymisation of a person's data (GDPR Art. 17);
# it holds no domain decision, and who-did-what stays readable through history_user on the other tables.
EXEMPT_MODELS = {"solidarity.HistoricalUser", "solidarity.HistoricalUser_groups"}

FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION {TRIGGER_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- The test suite empties its database between tests by TRUNCATE; only its sessions set this.
  IF TG_OP = 'TRUNCATE' AND current_setting('registry.allow_history_truncate', true) = 'on' THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION 'history table % is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;
"""

APPEND_ONLY_SQLSTATE = "42501"  # insufficient_privilege: what the trigger raises, checked by code


def history_tables() -> list[str]:
    """Tables of every HistoricalRecords model of the registry, but the exempt ones."""
    return sorted(
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.label not in EXEMPT_MODELS
        and (hasattr(model, "instance_type") or model._meta.db_table.split("_", 1)[-1].startswith("historical"))
        and model._meta.app_label in {"solidarity", "pledges", "compliance"}
    )


def install_append_only_triggers(using: str = "default") -> int:
    """Create the trigger function and both triggers on every history table; returns the tables covered."""
    if connection.vendor != "postgresql":
        return 0
    tables = history_tables()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(FUNCTION_SQL)
        for table in tables:
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"DROP TRIGGER IF EXISTS {ROW_TRIGGER} ON {quoted}")
            cursor.execute(f"DROP TRIGGER IF EXISTS {TRUNCATE_TRIGGER} ON {quoted}")
            cursor.execute(
                f"CREATE TRIGGER {ROW_TRIGGER} BEFORE UPDATE OR DELETE ON {quoted} "
                f"FOR EACH ROW EXECUTE FUNCTION {TRIGGER_FUNCTION}()"
            )
            cursor.execute(
                f"CREATE TRIGGER {TRUNCATE_TRIGGER} BEFORE TRUNCATE ON {quoted} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {TRIGGER_FUNCTION}()"
            )
    return len(tables)


@dataclass(frozen=True)
class TableCheck:
    table: str
    row_trigger: bool
    truncate_trigger: bool
    update_refused: bool | None  # None: the table is empty, so no row could be probed

    @property
    def ok(self) -> bool:
        return self.row_trigger and self.truncate_trigger and self.update_refused is not False


def verify_append_only() -> list[TableCheck]:
    """Check every history table: both triggers present and enabled, and a probing UPDATE refused."""
    if connection.vendor != "postgresql":
        raise RuntimeError("Append-only history is enforced on PostgreSQL only; this database is " + connection.vendor)
    tables = history_tables()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname IN (%s, %s) AND t.tgenabled <> 'D' AND c.relname = ANY(%s)",
            [ROW_TRIGGER, TRUNCATE_TRIGGER, tables],
        )
        present = set(cursor.fetchall())
    checks = []
    for table in tables:
        checks.append(
            TableCheck(
                table=table,
                row_trigger=(table, ROW_TRIGGER) in present,
                truncate_trigger=(table, TRUNCATE_TRIGGER) in present,
                update_refused=_probe_update(table),
            )
        )
    return checks


def _probe_update(table: str) -> bool | None:
    """Try to rewrite one history row inside a savepoint that is always rolled back."""
    quoted = connection.ops.quote_name(table)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {quoted} SET history_change_reason = history_change_reason "  # noqa: S608
                    f"WHERE history_id = (SELECT history_id FROM {quoted} ORDER BY history_id LIMIT 1)"
                )
                touched = cursor.rowcount
            transaction.set_rollback(True)
    except DatabaseError as error:  # the trigger's refusal: SQLSTATE 42501, insufficient_privilege
        return getattr(error.__cause__, "sqlstate", None) == APPEND_ONLY_SQLSTATE
    return None if touched == 0 else False
