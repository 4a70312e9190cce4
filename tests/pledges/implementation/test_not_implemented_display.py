"""Refusals without an Art. 60(3) ground are "not implemented": the pool shows them per contributing state (to
those who read that state's implementation), the pledge's page marks them among its activations."""

from decimal import Decimal

import pytest
from django.urls import reverse

from compliance.models import Finding
from compliance.services import finding_transition
from pledges.implementation.refusals import not_implemented_by_state
from pledges.implementation.services import activation_propose, activation_transition
from tests.factories import COMMISSION_REPORT, PledgeFactory, UserFactory, state
from tests.pledges.implementation.page_support import BASE, REASON, as_user, page

pytestmark = pytest.mark.django_db

POOL_URL = f"{BASE}/pool/?cycle=2026"


@pytest.fixture
def fr_financial(cycle):
    return PledgeFactory(
        cycle=cycle, member_state=state("FR"), kind="financial", amount_eur=Decimal("2000000.00"), status="recorded"
    )


@pytest.fixture
def fr_official_user(db):
    return UserFactory(member_state=state("FR"), roles=["official"])


def propose(pledge, towards, amount, coordinator):
    return activation_propose(
        pledge=pledge, benefitting_state=state(towards), amount=amount, actor=coordinator, reason=REASON
    )


def refuse(activation, official):
    return activation_transition(
        activation=activation,
        transition="decline",
        actor=official,
        reason=REASON,
        decline_ground="other",
        explanation="No flights available",
    )


@pytest.fixture
def refusals(cycle, be_relocation, fr_financial, coordinator, be_official, fr_official_user, compliance_officer):
    """BE refuses 100 relocations towards IT and 20 towards ES without an Art. 60(3) ground; FR refuses EUR 1
    million (50 relocation equivalents) towards ES likewise, and declines EUR 400 000 towards IT on the
    confirmed systemic shortcomings of Italy (lawful: not counted). BE's 30 towards EL stay open."""
    refuse(propose(be_relocation, "IT", 100, coordinator), be_official)
    refuse(propose(be_relocation, "ES", 20, coordinator), be_official)
    propose(be_relocation, "EL", 30, coordinator)
    refuse(propose(fr_financial, "ES", "1000000", coordinator), fr_official_user)
    lawful = propose(fr_financial, "IT", "400000", coordinator)
    finding = Finding.objects.create(
        member_state=state("IT"), cycle=cycle, scope="Transfers", description="Delays", **COMMISSION_REPORT
    )
    finding_transition(finding=finding, transition="assess", actor=compliance_officer, reason=REASON)
    finding_transition(finding=finding, transition="confirm", actor=compliance_officer, reason=REASON)
    activation_transition(
        activation=lawful,
        transition="decline",
        actor=fr_official_user,
        reason=REASON,
        decline_ground="systemic_shortcomings",
    )
    return cycle


def test_the_coordinator_reads_every_states_refusals(refusals, coordinator):
    rows = {row.code: row for row in not_implemented_by_state(refusals, viewer=coordinator)}
    assert list(rows) == ["BE", "FR"]  # protocol order
    be, fr = rows["BE"], rows["FR"]
    assert (be.refusals, be.relocations, be.euros, be.equivalent) == (2, 120, Decimal("0.00"), Decimal("120.00"))
    # The Art. 60(3) decline is lawful: only the EUR 1 million refused on another ground is still due.
    assert (fr.refusals, fr.relocations, fr.euros, fr.equivalent) == (1, 0, Decimal("1000000.00"), Decimal("50.00"))


def test_a_state_reads_its_own_refusals_only(refusals, be_official, it_official):
    assert [row.code for row in not_implemented_by_state(refusals, viewer=be_official)] == ["BE"]
    # A state's implementation figures are its own and the coordinator's: not another state's, not even the
    # benefitting state's in the pool's per-state table (the pool's state lines follow the pledging state).
    assert not_implemented_by_state(refusals, viewer=it_official) == []


def _table(html: str) -> str:
    start = html.index('id="not-implemented"')
    return html[start : html.index("</section>", start)]


def test_the_pool_page_shows_the_coordinator_what_is_still_due(refusals, coordinator, client):
    response = as_user(client, coordinator).get(POOL_URL)
    assert response.status_code == 200
    table = _table(page(response))
    be = table[table.index('data-state="BE"') :]
    be = be[: be.index("</tr>")]
    assert "not implemented" in be and ">2<" in be and ">120 persons<" not in be and ">120<" in be
    assert ">120.00<" in be
    fr = table[table.index('data-state="FR"') :]
    fr = fr[: fr.index("</tr>")]
    assert ">1<" in fr and "EUR 1,000,000.00" in fr and ">50.00<" in fr


def test_another_state_sees_no_states_refusals_in_the_pool(refusals, client, it_official, be_official):
    table = _table(page(as_user(client, it_official).get(POOL_URL)))
    assert 'data-state="' not in table and "No activation you may see was refused" in table
    own = _table(page(as_user(client, be_official).get(POOL_URL)))
    assert 'data-state="BE"' in own and 'data-state="FR"' not in own


def _detail(pledge) -> str:
    return reverse("pledges:detail", args=[pledge.pk])


def _activations_part(html: str) -> str:
    start = html.index('id="pledge-activations"')
    return html[start : html.index("</section>", start)]


def test_the_pledge_page_marks_its_refusals_as_not_implemented(refusals, be_relocation, coordinator, client):
    response = as_user(client, coordinator).get(_detail(be_relocation))
    assert response.status_code == 200
    part = _activations_part(page(response))
    assert part.count("<tr>") == 1 + 3  # header and BE's three activations
    assert part.count("tag--not-implemented") == 2
    assert "2 activations were refused without an Art. 60(3) ground" in part and "stays due" in part
    assert "Spain (ES)" in part and "Greece (EL)" in part


def test_the_lawful_decline_is_not_marked(refusals, fr_financial, fr_official_user, client):
    part = _activations_part(page(as_user(client, fr_official_user).get(_detail(fr_financial))))
    assert part.count("tag--not-implemented") == 1
    assert "1 activation was refused without an Art. 60(3) ground" in part
    assert "impl-status--declined" in part and part.count("impl-status--declined") == 2


def test_the_pledge_page_shows_each_reader_the_activations_it_may_read(
    refusals, be_relocation, client, it_official, be_official, fr_official_user
):
    # The pledging state: every one.
    assert _activations_part(page(as_user(client, be_official).get(_detail(be_relocation)))).count("<tr>") == 4
    # A benefitting state: those towards it.
    part = _activations_part(page(as_user(client, it_official).get(_detail(be_relocation))))
    assert part.count("<tr>") == 2 and "Italy (IT)" in part and "Spain (ES)" not in part
    # Another state: none, and why.
    part = _activations_part(page(as_user(client, fr_official_user).get(_detail(be_relocation))))
    assert "<tr>" not in part and "Shown to the parties only" in part


def test_a_pledge_the_council_act_has_not_recorded_has_no_activation(cycle, be_official, client):
    draft = PledgeFactory(cycle=cycle, member_state=state("BE"), kind="relocation", quantity=5)
    part = _activations_part(page(as_user(client, be_official).get(_detail(draft))))
    assert "has not been activated" in part


def test_the_pool_and_the_pledge_page_run_a_constant_number_of_queries(
    refusals,
    be_relocation,
    fr_financial,
    coordinator,
    be_official,
    fr_official_user,
    client,
    django_assert_max_num_queries,
):
    as_user(client, coordinator)
    urls = [POOL_URL, _detail(be_relocation)]
    counts = {}
    for url in urls:
        with django_assert_max_num_queries(40) as captured:
            assert client.get(url).status_code == 200
        counts[url] = len(captured)
    for index in range(5):
        refuse(propose(be_relocation, ["ES", "EL", "MT", "CY", "PT"][index], 1, coordinator), be_official)
        refuse(propose(fr_financial, "ES", "1000", coordinator), fr_official_user)
        contributor = ["DE", "AT", "PL", "SE", "FI"][index]
        PledgeFactory(
            cycle=refusals, member_state=state(contributor), kind="relocation", quantity=10, status="recorded"
        )
    for url in urls:
        with django_assert_max_num_queries(counts[url]):
            response = client.get(url)
        assert response.status_code == 200
    assert _activations_part(page(client.get(_detail(be_relocation)))).count("tag--not-implemented") == 7
    rows = {row.code: row for row in not_implemented_by_state(refusals, viewer=coordinator)}
    assert (rows["BE"].refusals, rows["FR"].refusals, rows["FR"].equivalent) == (7, 6, Decimal("50.25"))
