import pytest
from django.core import mail

from compliance.models import Finding
from compliance.services import finding_transition
from pledges.implementation import services as pledge_services
from pledges.pledging.models import Pledge
from solidarity.platform.errors import NotPermitted, TransitionNotAllowed
from tests.factories import COMMISSION_REPORT, CycleFactory, PledgeFactory, UserFactory, state

pytestmark = pytest.mark.django_db

REASON = "Commission assessment"


@pytest.fixture
def cycle(db):
    return CycleFactory(year=2026, status="in_application")


@pytest.fixture
def finding(cycle):
    return Finding.objects.create(
        member_state=state("IT"), cycle=cycle, scope="Transfers", description="Delays", **COMMISSION_REPORT
    )


@pytest.fixture
def open_activation(cycle, coordinator):
    pledge = PledgeFactory(cycle=cycle, kind="relocation", quantity=50, status="recorded")
    return pledge_services.activation_propose(
        pledge=pledge, benefitting_state=state("IT"), amount=20, actor=coordinator, reason=REASON
    )


def confirm(finding, officer):
    finding_transition(finding=finding, transition="assess", actor=officer, reason=REASON)
    return finding_transition(finding=finding, transition="confirm", actor=officer, reason=REASON)


@pytest.mark.parametrize(
    ("path", "end"),
    [
        (["assess"], "under_assessment"),
        (["assess", "confirm"], "confirmed"),
        (["assess", "confirm", "lift"], "lifted"),
        (["dismiss"], "dismissed"),
        (["assess", "dismiss"], "dismissed"),
    ],
)
def test_allowed_finding_transitions(finding, compliance_officer, path, end):
    for name in path:
        finding = finding_transition(finding=finding, transition=name, actor=compliance_officer, reason=REASON)
    assert finding.status == end
    assert finding.history.first().history_transition == path[-1]


@pytest.mark.parametrize(("path", "refused"), [([], "confirm"), ([], "lift"), (["assess", "confirm"], "dismiss")])
def test_refused_finding_transitions(finding, compliance_officer, path, refused):
    for name in path:
        finding = finding_transition(finding=finding, transition=name, actor=compliance_officer, reason=REASON)
    with pytest.raises(TransitionNotAllowed):
        finding_transition(finding=finding, transition=refused, actor=compliance_officer, reason=REASON)


@pytest.mark.parametrize("role_fixture", ["be_official", "be_negotiator", "coordinator", "auditor"])
def test_only_compliance_officers_move_findings(request, finding, role_fixture):
    with pytest.raises(NotPermitted):
        finding_transition(
            finding=finding, transition="assess", actor=request.getfixturevalue(role_fixture), reason=REASON
        )
    finding.refresh_from_db()
    assert finding.status == "draft"


def test_art_60_3_decline_needs_a_confirmed_finding_and_links_it(
    finding, open_activation, compliance_officer, be_official
):
    with pytest.raises(TransitionNotAllowed) as error:
        pledge_services.activation_transition(
            activation=open_activation,
            transition="decline",
            decline_ground="systemic_shortcomings",
            actor=be_official,
            reason=REASON,
        )
    assert error.value.code == "no_confirmed_finding"
    confirm(finding, compliance_officer)
    declined = pledge_services.activation_transition(
        activation=open_activation,
        transition="decline",
        decline_ground="systemic_shortcomings",
        actor=be_official,
        reason=REASON,
    )
    assert (declined.status, declined.finding_id) == ("declined", finding.pk)
    # The pledge itself is not reduced by a finding; only the activation is released.
    pledge = Pledge.objects.get()
    assert pledge.quantity == 50


def test_art_60_3_decline_is_refused_once_the_finding_is_lifted(
    finding, open_activation, compliance_officer, be_official
):
    confirm(finding, compliance_officer)
    finding_transition(finding=finding, transition="lift", actor=compliance_officer, reason=REASON)
    with pytest.raises(TransitionNotAllowed):
        pledge_services.activation_transition(
            activation=open_activation,
            transition="decline",
            decline_ground="systemic_shortcomings",
            actor=be_official,
            reason=REASON,
        )


def test_confirmation_notifies_once_after_commit_only_the_officials_concerned(
    finding, open_activation, compliance_officer, be_official, nl_official, django_capture_on_commit_callbacks
):
    UserFactory(username="be_negotiator2", member_state=state("BE"), roles=["negotiator"])
    finding_transition(finding=finding, transition="assess", actor=compliance_officer, reason=REASON)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        finding_transition(finding=finding, transition="confirm", actor=compliance_officer, reason=REASON)
    assert len(mail.outbox) == 0  # nothing is sent before the transaction commits
    for callback in callbacks:
        callback()
    assert [m.to for m in mail.outbox] == [[be_official.email]]
    assert "confirmed" in mail.outbox[0].subject
