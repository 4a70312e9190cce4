"""Sending one request of the matrix and reading what came back: statuses, writes, and what leaked."""

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser

import openpyxl
from django.db import connection

# Tables a request may write without changing anything of the registry's: the session and login records.
BOOKKEEPING_TABLES = ("django_session", "axes_")


_TABLES: list[tuple[int, str]] = []


def _tables() -> list[tuple[int, str]]:
    if not _TABLES:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind = 'r' AND n.nspname = current_schema()"
            )
            _TABLES.extend((oid, name) for oid, name in cursor.fetchall() if not name.startswith(BOOKKEEPING_TABLES))
    return _TABLES


def writes_so_far() -> dict[str, int]:
    """Rows inserted, updated or deleted in the current transaction, by table (PostgreSQL's own counters,
    which count a write even when a savepoint rolls it back: an attempt is a write)."""
    tables = _tables()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.oid, pg_stat_get_xact_tuples_inserted(t.oid) + pg_stat_get_xact_tuples_updated(t.oid) "
            "+ pg_stat_get_xact_tuples_deleted(t.oid) FROM unnest(%s::oid[]) AS t(oid)",
            [[oid for oid, _ in tables]],
        )
        names = dict(tables)
        return {names[oid]: count for oid, count in cursor.fetchall() if count}


def written(before: dict, after: dict) -> dict[str, int]:
    return {name: count - before.get(name, 0) for name, count in after.items() if count != before.get(name, 0)}


# --- Reading a response ---------------------------------------------------------------------------------


def body_text(response) -> str:
    """Everything a reader gets: JSON, HTML and CSV as text, an XLSX workbook as its cells."""
    content_type = response.get("Content-Type", "")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if "spreadsheetml" in content_type or content[:2] == b"PK":
        try:
            book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        except (zipfile.BadZipFile, OSError, KeyError):
            return ""
        cells = []
        for sheet in book.worksheets:
            for row in sheet.iter_rows(values_only=True):
                cells.extend("" if value is None else str(value) for value in row)
        return "\n".join(cells)
    text = content.decode("utf-8-sig", errors="replace")
    if "csv" in content_type:
        return "\n".join(",".join(row) for row in csv.reader(io.StringIO(text)))
    return text


SEPARATORS = re.compile(r"[\s,.'\u00a0\u202f]")


def digits(text: str) -> str:
    return SEPARATORS.sub("", text)


def json_references(text: str, own_label: str | None, model_by_key: dict):
    """(model label, id) of every object a JSON body names: ``id`` of the endpoint's model, and keys naming a model."""
    try:
        data = json.loads(text)
    except ValueError:
        return
    stack = [(data, "")]
    while stack:
        item, parent = stack.pop()
        if isinstance(item, list):
            stack.extend((element, parent) for element in item)
        elif isinstance(item, dict):
            # The ``id`` of an object nested under a key naming another model (the matrix's ``topics``) is
            # that model's id, not the endpoint's.
            nested_label = model_by_key.get(parent) or model_by_key.get(parent.removesuffix("s"))
            for key, value in item.items():
                if isinstance(value, dict | list):
                    stack.append((value, key))
                elif isinstance(value, int) and not isinstance(value, bool):
                    if key == "id" and (nested_label or own_label):
                        yield nested_label or own_label, value
                    elif key in model_by_key:
                        yield model_by_key[key], value


# --- Forms on a page ----------------------------------------------------------------------------------------


@dataclass
class Form:
    method: str
    action: str
    fields: list = field(default_factory=list)  # (name, value)
    selects: dict = field(default_factory=dict)  # name -> [option values]
    submits: list = field(default_factory=list)  # (name, value)


class FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._select = None
        self._select_chosen = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(Form((attrs.get("method") or "get").lower(), attrs.get("action") or ""))
            return
        if not self.forms:
            return
        form = self.forms[-1]
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in ("submit", "button", "image"):
                form.submits.append((name, attrs.get("value") or ""))
            elif kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    form.fields.append((name, attrs.get("value") or "on"))
            else:
                form.fields.append((name, attrs.get("value") or ""))
        elif tag == "button" and name:
            form.submits.append((name, attrs.get("value") or ""))
        elif tag == "select" and name:
            self._select, self._select_chosen = name, None
            form.selects[name] = []
        elif tag == "option" and self._select:
            value = attrs.get("value", "")
            form.selects[self._select].append(value)
            if "selected" in attrs:
                self._select_chosen = value
        elif tag == "textarea" and name:
            self._textarea = [name, ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if not self.forms:
            return
        form = self.forms[-1]
        if tag == "select" and self._select:
            options = [value for value in form.selects[self._select] if value]
            chosen = self._select_chosen if self._select_chosen is not None else (options[0] if options else "")
            form.fields.append((self._select, chosen))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            form.fields.append(tuple(self._textarea))
            self._textarea = None


def forms_of(html: str) -> list[Form]:
    parser = FormParser()
    try:
        parser.feed(html)
    except Exception:
        return []
    return parser.forms


def filled(form: Form, *, reason: str, today: str) -> dict:
    """The form as a user in a hurry submits it: what is there, and something in every empty text field."""
    data = {}
    for name, value in form.fields:
        if name == "csrfmiddlewaretoken":
            continue
        if not value:
            lowered = name.lower()
            if "date" in lowered or lowered.endswith("_on"):
                value = today
            elif any(word in lowered for word in ("amount", "quantity", "value", "percent", "applications", "count")):
                value = "1"
            else:
                value = reason
        data.setdefault(name, value)
    if form.submits:
        name, value = form.submits[0]
        data.setdefault(name, value)
    return data
