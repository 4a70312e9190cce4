"""Every rule says its legal basis: the registry (solidarity.platform.legal_basis), its page and its document.

A rule function without an entry fails here: each function docs/architecture.md names as a rule's home (the
rows of "One home per rule" that cite an article), and each function of the domain packages' services,
selectors and models whose docstring cites an article.
"""

import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from solidarity.domain.models import SolidarityCycle
from solidarity.platform import legal_basis
from solidarity.platform.legal_basis import RULES, Status

ROOT = Path(__file__).resolve().parents[1]
DOMAIN_PACKAGES = (
    "solidarity/domain",
    "compliance",
    "pledges/pledging",
    "pledges/implementation",
    "pledges/negotiation",
)
RULE_MODULES = ("services.py", "selectors.py", "models.py")
CITATION = re.compile(r"\bArts?\.?\s+\d")
# Backticked names of the architecture table that are no function: a permission, a field of the API.
NOT_FUNCTIONS = {"pledges.answer_activation", "pledges.view_activation", "activated"}

HOMES = {home for entry in RULES for home in entry.homes}


def _has_entry(name: str) -> bool:
    """Whether some entry's home is ``name``: a dotted path, or its tail (``Pledge.is_visible_to``)."""
    return any(home == name or home.endswith(f".{name}") for home in HOMES)


def _resolve(dotted: str):
    parts = dotted.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[split:]:
            target = getattr(target, attribute)
        return target
    raise ModuleNotFoundError(dotted)


def _architecture_rule_names() -> list[tuple[str, str]]:
    """(name, rule) for each backticked name in a row of "One home per rule" that cites an article."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    section = text.split("## One home per rule", 1)[1].split("\n## ", 1)[0]
    names = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] in {"rule", "---"} or not cells[2]:
            continue
        for name in re.findall(r"`([^`]+)`", cells[1]):
            if "/" in name or name in NOT_FUNCTIONS or not re.fullmatch(r"[A-Za-z_][\w.]*", name):
                continue
            names.append((name, cells[0]))
    return names


def _cited_functions() -> list[tuple[str, str]]:
    """(dotted path, file) of each function or method whose docstring cites an article, in the rule modules."""
    found = []
    for package in DOMAIN_PACKAGES:
        for module_name in RULE_MODULES:
            path = ROOT / package / module_name
            if not path.exists():
                continue
            module = f"{package.replace('/', '.')}.{path.stem}"

            def walk(node, prefix, path=path, module=module):
                for child in ast.iter_child_nodes(node):
                    if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                        if CITATION.search(ast.get_docstring(child) or ""):
                            found.append((f"{module}.{prefix}{child.name}", f"{path.relative_to(ROOT)}:{child.lineno}"))
                    elif isinstance(child, ast.ClassDef):
                        walk(child, f"{prefix}{child.name}.")

            walk(ast.parse(path.read_text()), "")
    return found


def test_the_architecture_table_is_read():
    names = dict(_architecture_rule_names())
    expected = {"activation_transition", "offset_eligibility", "round_relocations", "PledgeQuerySet.visible_to"}
    assert expected <= set(names)


@pytest.mark.parametrize(("name", "rule"), _architecture_rule_names())
def test_every_home_in_the_architecture_table_has_an_entry(name, rule):
    assert _has_entry(name), (
        f"`{name}` (docs/architecture.md, One home per rule: {rule}) has no entry in "
        "solidarity/platform/legal_basis.py RULES: add a LegalRule naming it in `homes`."
    )


def test_the_docstring_scan_finds_the_rule_functions():
    paths = {dotted for dotted, _ in _cited_functions()}
    assert "pledges.implementation.services.activation_transition" in paths
    assert "solidarity.domain.models.MemberState.counted_in_key" in paths


@pytest.mark.parametrize(("dotted", "where"), _cited_functions())
def test_every_function_citing_an_article_has_an_entry(dotted, where):
    assert dotted in HOMES, (
        f"{dotted} ({where}) cites an article in its docstring but has no entry in "
        "solidarity/platform/legal_basis.py RULES: add it to the `homes` of its rule, or a LegalRule of its own."
    )


@pytest.mark.parametrize("home", sorted(HOMES))
def test_every_entry_points_at_code_that_exists(home):
    entries = [entry.key for entry in RULES if home in entry.homes]
    try:
        _resolve(home)
    except (ImportError, AttributeError) as error:
        pytest.fail(f"The entry {entries} of solidarity/platform/legal_basis.py names {home}, which is gone: {error}")


def test_entries_have_unique_keys_articles_and_a_status():
    keys = [entry.key for entry in RULES]
    assert len(keys) == len(set(keys))
    for entry in RULES:
        assert entry.articles and entry.homes and str(entry.title), entry.key
        assert entry.status == (Status.NOT_VERIFIED if entry.remains else Status.VERIFIED)
        assert legal_basis.rule(entry.key) is entry


def test_rules_are_grouped_by_article_in_the_order_of_the_regulation():
    groups = legal_basis.rules_by_article()
    assert sum(len(entries) for _, entries in groups) == len(RULES)
    articles = [article for article, _ in groups]
    assert articles.index("Art. 12(2)") < articles.index("Art. 57") < articles.index("Art. 60(3)")
    assert articles.index("Art. 60(3)") < articles.index("Art. 66") < articles.index("Art. 69")
    assert len(articles) == len(set(articles))


def test_the_document_is_up_to_date():
    """CI fails when docs/legal-basis.md was not regenerated after a change of the registry."""
    call_command("legal_basis_doc", "--check")


def test_the_document_command_writes_and_checks(tmp_path):
    target = tmp_path / "legal-basis.md"
    with pytest.raises(CommandError, match="out of date"):
        call_command("legal_basis_doc", "--check", f"--path={target}")
    call_command("legal_basis_doc", f"--path={target}")
    text = target.read_text()
    assert all(str(entry.title) in text for entry in RULES)
    call_command("legal_basis_doc", "--check", f"--path={target}")
    target.write_text(text + "edited by hand\n")
    with pytest.raises(CommandError, match="out of date"):
        call_command("legal_basis_doc", "--check", f"--path={target}")


@pytest.mark.django_db
def test_the_page_lists_every_rule_with_its_status(client, be_official, django_assert_max_num_queries):
    client.force_login(be_official)
    # The session, the user and the layout's own (the user's state, the findings banner): none for the rules.
    with django_assert_max_num_queries(4):
        response = client.get(reverse("legal-basis"))
    assert response.status_code == 200
    page = response.content.decode()
    for entry in RULES:
        assert f'id="{entry.anchor}"' in page
    assert page.count("status-tag--met") == sum(entry.verified for entry in RULES)
    assert page.count("status-tag--at_risk") == sum(not entry.verified for entry in RULES)
    assert "shall reply to the request within 30 days of receipt" in page


@pytest.mark.django_db
def test_the_page_is_for_people_logged_in(client):
    response = client.get(reverse("legal-basis"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.django_db
def test_the_footer_links_the_page(client, be_official):
    client.force_login(be_official)
    assert reverse("legal-basis") in client.get(reverse("legal-basis")).content.decode()


@pytest.mark.django_db
def test_the_fair_share_page_marks_estimated_figures_and_the_proposal(client, be_official, cycle_with_figures):
    """The 2026 figures are not checked against Eurostat, and before the act the reference numbers are the
    proposal's: both are marked where the shares are shown, each linking to its entry."""
    SolidarityCycle.objects.filter(pk=cycle_with_figures.pk).update(status="pledging")  # as CycleFactory does
    client.force_login(be_official)
    page = client.get(reverse("fair-shares", args=[2026])).content.decode()
    count = cycle_with_figures.reference_figures.count()
    assert page.count('id="unverified-figures"') == 1
    assert f"figures of {count} states are not checked" in page
    assert f"{reverse('legal-basis')}#{legal_basis.rule('fair-share').anchor}" in page
    assert f"{reverse('legal-basis')}#{legal_basis.rule('pool-proposal').anchor}" in page


@pytest.mark.django_db
def test_the_fair_share_page_marks_nothing_once_checked_and_adopted(client, be_official, cycle_with_figures):
    cycle_with_figures.reference_figures.update(verified=True)
    SolidarityCycle.objects.filter(pk=cycle_with_figures.pk).update(status="adopted")
    client.force_login(be_official)
    page = client.get(reverse("fair-shares", args=[2026])).content.decode()
    assert 'id="unverified-figures"' not in page
    assert 'id="unverified-proposal"' not in page


def _cites(target, article: str) -> bool:
    number = re.search(r"\d+", article)
    target = target.fget if isinstance(target, property) else target
    doc = (inspect.getdoc(target) or "") if callable(target) else ""
    return bool(number) and bool(re.search(rf"\bArts?\.?\s+(\d+[-, ]+)*{number.group()}\b", doc))


# Rules none of whose homes cites the article in its docstring yet (a constant, a method without one): each is
# to be completed where the rule lives. The test fails once one is completed, so that it leaves this list.
NOT_YET_CITED_WHERE_THEY_LIVE: set[str] = set()


@pytest.mark.parametrize("entry", RULES, ids=lambda entry: entry.key)
def test_each_rule_cites_its_article_where_it_lives(entry):
    cited = any(_cites(_resolve(home), article) for home in entry.homes for article in entry.articles)
    assert cited != (entry.key in NOT_YET_CITED_WHERE_THEY_LIVE), (
        f"{entry.key}: none of {entry.homes} cites {entry.articles} in its docstring"
        if not cited
        else f"{entry.key} now cites its article where it lives: remove it from NOT_YET_CITED_WHERE_THEY_LIVE"
    )
