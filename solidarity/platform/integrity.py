"""Append-only history on PostgreSQL: triggers refuse UPDATE, DELETE and TRUNCATE of every history table.

The audit trail is only worth what it resists: the application never rewrites a history row, and the
database refuses it too, whatever code or console tries. The triggers are (re)installed after every
`migrate`, so a history table added by a later migration is covered without anyone remembering it.

Every history table is covered, the users' and their role changes' included. The one rewrite the database
lets through is the anonymisation of a person (GDPR Art. 17, ``solidarity.accounts.privacy``): on the users'
own history, an UPDATE that replaces the identity columns by the pseudonym and blanks, and changes nothing
else, is accepted; any other UPDATE, and every DELETE, is refused there too.
"""

from dataclasses import dataclass

from django.apps import apps
from django.db import DatabaseError, connection, transaction

TRIGGER_FUNCTION = "registry_history_append_only"
ANONYMISE_ONLY_FUNCTION = "registry_user_history_anonymise_only"
ROW_TRIGGER = "history_append_only_row"
TRUNCATE_TRIGGER = "history_append_only_truncate"

# What an anonymised person is called (``user-<id>``), here and in solidarity.accounts.privacy.
PSEUDONYM_PREFIX = "user-"
# The users' own history: the only table whose rows may be anonymised, and the columns that name a person.
ANONYMISABLE_TABLE = "solidarity_historicaluser"
IDENTITY_COLUMNS = ("username", "first_name", "last_name", "email", "history_ip_address")

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

_IDENTITY_ARRAY = "ARRAY[" + ", ".join(f"'{column}'" for column in IDENTITY_COLUMNS) + "]"
ANONYMISE_ONLY_SQL = f"""
CREATE OR REPLACE FUNCTION {ANONYMISE_ONLY_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- The anonymisation of a person: the identity becomes the pseudonym and blanks, nothing else changes.
  IF TG_OP = 'UPDATE'
     AND NEW.username = '{PSEUDONYM_PREFIX}' || OLD.id::text
     AND NEW.first_name = '' AND NEW.last_name = '' AND NEW.email = '' AND NEW.history_ip_address IS NULL
     AND to_jsonb(NEW) IS DISTINCT FROM to_jsonb(OLD)
     AND to_jsonb(NEW) - {_IDENTITY_ARRAY}::text[] = to_jsonb(OLD) - {_IDENTITY_ARRAY}::text[]
  THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'history table % is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;
"""

APPEND_ONLY_SQLSTATE = "42501"  # insufficient_privilege: what the trigger raises, checked by code


def _history_keys() -> dict[str, str]:
    """Table -> primary key column of every HistoricalRecords model of the registry (many-to-many ones too)."""
    return {
        model._meta.db_table: model._meta.pk.column
        for model in apps.get_models(include_auto_created=True)
        if (hasattr(model, "instance_type") or model._meta.db_table.split("_", 1)[-1].startswith("historical"))
        and model._meta.app_label in {"solidarity", "pledges", "compliance"}
    }


def history_tables() -> list[str]:
    """Tables of every HistoricalRecords model of the registry (the many-to-many histories included)."""
    return sorted(_history_keys())


def install_append_only_triggers(using: str = "default") -> int:
    """Create the trigger function and both triggers on every history table; returns the tables covered."""
    if connection.vendor != "postgresql":
        return 0
    tables = history_tables()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(FUNCTION_SQL)
        cursor.execute(ANONYMISE_ONLY_SQL)
        for table in tables:
            quoted = connection.ops.quote_name(table)
            row_function = ANONYMISE_ONLY_FUNCTION if table == ANONYMISABLE_TABLE else TRIGGER_FUNCTION
            cursor.execute(f"DROP TRIGGER IF EXISTS {ROW_TRIGGER} ON {quoted}")
            cursor.execute(f"DROP TRIGGER IF EXISTS {TRUNCATE_TRIGGER} ON {quoted}")
            cursor.execute(
                f"CREATE TRIGGER {ROW_TRIGGER} BEFORE UPDATE OR DELETE ON {quoted} "
                f"FOR EACH ROW EXECUTE FUNCTION {row_function}()"
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
    keys = _history_keys()
    tables = sorted(keys)
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
                update_refused=_probe_update(table, keys[table]),
            )
        )
    return checks


def _probe_update(table: str, key: str) -> bool | None:
    """Try to rewrite one history row (its key set to itself) inside a savepoint that is always rolled back."""
    quoted, key = connection.ops.quote_name(table), connection.ops.quote_name(key)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {quoted} SET {key} = {key} "  # noqa: S608
                    f"WHERE {key} = (SELECT {key} FROM {quoted} ORDER BY {key} LIMIT 1)"
                )
                touched = cursor.rowcount
            transaction.set_rollback(True)
    except DatabaseError as error:  # the trigger's refusal: SQLSTATE 42501, insufficient_privilege
        return getattr(error.__cause__, "sqlstate", None) == APPEND_ONLY_SQLSTATE
    return None if touched == 0 else False
