"""The house's shape, checked: layers (import-linter), no hidden imports, one home per rule, small files.

docs/architecture.md describes what these tests keep.
"""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("solidarity", "pledges", "compliance", "bench")
MAX_FILE_LINES = 600
MAX_VIEW_LINES = 40


def _product_files():
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _function_level_imports(tree: ast.AST) -> list[tuple[int, str]]:
    """Imports inside a function, except in an ``AppConfig.ready()``: Django forbids importing models before
    its registry is ready, so that is where an app wires its hooks and signal receivers."""
    in_ready = {
        id(node)
        for cls in ast.walk(tree)
        if isinstance(cls, ast.ClassDef)
        for method in cls.body
        if isinstance(method, ast.FunctionDef) and method.name == "ready"
        for node in ast.walk(method)
    }
    return sorted(
        {
            (node.lineno, ast.unparse(node))
            for function in ast.walk(tree)
            if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
            for node in ast.walk(function)
            if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in in_ready
        }
    )


def test_the_import_contracts_hold():
    """import-linter's layers: platform < accounts < cycle domain < compliance < pledges (pyproject.toml)."""
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-4000:]
    assert "BROKEN" not in result.stdout


def test_no_module_imports_inside_a_function():
    offenders = []
    for path in _product_files():
        for line, statement in _function_level_imports(ast.parse(path.read_text())):
            offenders.append(f"{_relative(path)}:{line} {statement}")
    assert offenders == []


def test_the_check_finds_an_import_inside_a_function():
    tree = ast.parse(
        "import os\n"
        "def f():\n    from pledges.pledging import services\n"
        "class C:\n    def ready(self):\n        from a import b\n    def other(self):\n        import c\n"
    )
    assert [line for line, _ in _function_level_imports(tree)] == [3, 8]


def test_no_file_is_over_600_lines():
    """Product and tests alike, migrations aside: a file that grows past this holds more than one thing."""
    files = [*_product_files(), *sorted((ROOT / "tests").rglob("*.py"))]
    long_files = {
        _relative(path): lines for path in files if (lines := len(path.read_text().splitlines())) > MAX_FILE_LINES
    }
    assert long_files == {}


def _is_view_module(path: Path) -> bool:
    return path.name in {"views.py", "api.py", "audit_api.py", "audit_views.py"} or path.name.endswith(
        ("_views.py", "_api.py")
    )


def test_no_view_function_or_method_is_over_40_lines():
    """Thin views: a view validates, calls one service or selector, and renders; the rest has a home."""
    long_views = {}
    for path in _product_files():
        if not _is_view_module(path):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                body_start = node.body[0].lineno
                if isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant):
                    body_start = node.body[0].end_lineno + 1  # a docstring is no code
                length = node.end_lineno - body_start + 1
                if length > MAX_VIEW_LINES:
                    long_views[f"{_relative(path)}:{start} {node.name}"] = length
    assert long_views == {}


# Each rule and the one module that may spell it out. A match elsewhere is a second home of the rule.
ONE_HOME = [
    # AMMR Art. 57: pledges are public from the Council act (PledgeQuerySet.visible_to / Pledge.is_visible_to).
    # (The registry of the rules' legal basis names the constant as a rule's home; it does not apply it.)
    (
        "pledge visibility",
        r"PLEDGES_PUBLIC_FROM",
        {"solidarity/domain/models.py", "pledges/pledging/models.py", "solidarity/platform/legal_basis.py"},
    ),
    ("pledge visibility", r"status\s*==\s*[\"']recorded[\"']", set()),
    # AMMR Art. 56(2): the relocation equivalent, at the cycle's euro value of one relocation.
    ("relocation equivalent", r"/\s*(self\.|\w+\.)?eur_per_relocation", {"solidarity/domain/fairshare.py"}),
    (
        "relocation equivalent",
        r"def relocation_equivalent",
        {
            "solidarity/domain/fairshare.py",
            "solidarity/domain/models.py",
            "pledges/pledging/models.py",
            "pledges/implementation/pool.py",
        },
    ),
    # AMMR Arts 57, 60: who reads the implementation of a state's pledge (sees_implementation).
    (
        "implementation figures",
        r"pledge__member_state_id=user\.member_state_id|activated_equivalent if visible",
        {"pledges/pledging/models.py"},
    ),
    # AMMR Art. 60(3): the activations a finding lets a state still decline.
    (
        "open activations",
        r"ActivationStatus\.PROPOSED,\s*ActivationStatus\.ACCEPTED",
        {"pledges/implementation/models.py"},
    ),
    # AMMR Art. 66: coverage of the fair share by the pledges.
    (
        "coverage",
        r"obligation_relocations\)?\s*\.quantize|\*\s*100\s*/\s*\w*\.?fair_share",
        {"solidarity/domain/selectors.py"},
    ),
    # AMMR Art. 66, Annex I: the fair share and its rounding (relocations rounded per the cycle's rule).
    ("fair-share rounding", r"def (round_relocations|round_share)\b", {"solidarity/domain/fairshare.py"}),
    ("fair share", r"def compute_fair_shares|weight_population\s*\*", {"solidarity/domain/fairshare.py"}),
    # AMMR Art. 66: the states in the key (MemberState.counted_in_key, MemberStateQuerySet.in_key).
    ("states in the key", r"\.bound_by_solidarity\b|bound_by_solidarity=True\)", {"solidarity/domain/models.py"}),
    # AMMR Arts 61(4), 62(4): a granted deduction (GRANTED_DEDUCTION_STATUSES, DeductionRequestQuerySet).
    (
        "granted deductions",
        r"granted_full.{0,4}[\"'],\s*[\"']granted_partial|GRANTED_FULL,\s*DeductionStatus",
        {"pledges/pledging/models.py"},
    ),
    # AMMR Arts 13-14: a state's own position is recorded by its delegation or the coordinator (speaks_for_its_state).
    (
        "a state's own position",
        r"recorded_by_state_id\s*==\s*(self\.)?member_state_id|recorded_by_state_id=F\(",
        {"pledges/negotiation/models.py"},
    ),
    # AMMR Art. 63(3)-(4): mandatory offsets, against the cycle's threshold of the needs (mandatory_offsets).
    (
        "mandatory offsets",
        r"def mandatory_offsets\(|mandatory_offset_threshold_percent\s*/|\*\s*(threshold|percent)\s*/\s*100",
        {"pledges/implementation/selectors.py"},
    ),
    # The one reader of numbers sent by people and tools (solidarity.platform.numbers).
    (
        "reading numbers",
        r"def _?(whole_persons|euros)\(|def read_(decimal|whole|euros)\(",
        {"solidarity/platform/numbers.py"},
    ),
    # The reason of a change: read, trimmed, bounded and required (or recorded as "created" / "draft edited").
    (
        "the reason of a change",
        r"code=\"reason_required\"|REASON_MAX_LENGTH\s*=|= \"draft edited\"|def (require|creation|edit)_reason\(",
        {"solidarity/platform/workflow.py"},
    ),
    # Every 201 names where the new object is read (Location): built in one place.
    ("a 201 and its Location", r"HTTP_201_CREATED|status=201\b", {"solidarity/platform/locations.py"}),
    # One page shape and one set of page parameters for every list.
    ("pages of a list", r"\(PageNumberPagination\)|page_size_query_param", {"solidarity/platform/pagination.py"}),
    # Domain errors are chosen by their code, never by the words of a message.
    ("errors by code", r"in\s+str\((error|exc|e)\)|\"already exists\"\s+in", set()),
]


@pytest.mark.parametrize(
    ("rule", "pattern", "homes"), ONE_HOME, ids=[f"{rule}: {pattern}" for rule, pattern, _ in ONE_HOME]
)
def test_each_rule_is_written_in_its_one_home(rule, pattern, homes):
    regex = re.compile(pattern)
    elsewhere = [
        f"{_relative(path)}:{number}"
        for path in _product_files()
        if _relative(path) not in homes
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if regex.search(line)
    ]
    assert elsewhere == [], f"{rule} is written outside its home"
