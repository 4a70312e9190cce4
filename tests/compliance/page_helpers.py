"""What the compliance page tests share: reading a page as a person does, and records made directly."""

import datetime
import html as html_lib
import re
from decimal import Decimal

from django.utils import timezone

from compliance.models import ActionPlan, Benchmark, DublinPerformance, Finding, Measurement
from compliance.services import finding_transition
from pledges.implementation import services as pledge_services
from pledges.pledging.models import Pledge
from tests.factories import COMMISSION_REPORT, PledgeFactory, state

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
REASON = "Commission assessment of November"
TODAY = timezone.localdate()


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def page(response) -> str:
    return response.content.decode()


def text(fragment: str) -> str:
    """What a person reads in an HTML fragment: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def table_row(response, href: str) -> list[str]:
    """The cells (as text) of the table row whose header links to ``href``."""
    match = re.search(rf'<tr>\s*<th scope="row"><a href="{re.escape(href)}">.*?</tr>', page(response), re.DOTALL)
    assert match, f"no row for {href}"
    return [text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", match.group(0), re.DOTALL)]


def history_rows(model) -> int:
    return model.history.count()


def dublin(code: str, start: datetime.date, *, received=100, accepted=50, transfers=20, reply="30.0", **extra):
    end = (start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)
    return DublinPerformance.objects.create(
        member_state=state(code),
        period_kind="month",
        period_start=start,
        period_end=end,
        take_charge_received=received,
        take_charge_accepted=accepted,
        transfers_carried_out=transfers,
        average_reply_days=Decimal(reply),
        source="National Dublin unit",
        **extra,
    )


def plan_for(code: str, cycle, title="Dublin action plan") -> ActionPlan:
    return ActionPlan.objects.create(member_state=state(code), cycle=cycle, title=title)


def benchmark(plan, indicator, *, baseline=20, target=60, start=-100, due=100, direction="higher", measured=()):
    made = Benchmark.objects.create(
        action_plan=plan,
        indicator=indicator,
        unit="%",
        baseline=Decimal(baseline),
        baseline_date=days(start),
        target=Decimal(target),
        due_date=days(due),
        direction=direction,
    )
    for offset, value in measured:
        Measurement.objects.create(benchmark=made, date=days(offset), value=Decimal(value), source="test")
    return made


def five_statuses(plan) -> dict[str, Benchmark]:
    """One benchmark per status, computed by hand against today.

    The line runs from 20 (100 days ago) to 60 (in 100 days): ten days ago it stood at 20 + 40 * 90/200 = 38.
    The at-risk one is due in 50 days: its line stood at 20 + 40 * 90/150 = 44 ten days ago.
    """
    return {
        "met": benchmark(plan, "Met: 65 ten days ago", measured=[(-30, "30"), (-10, "65")]),
        "on_track": benchmark(plan, "On track: 45 against 38", measured=[(-10, "45")]),
        "at_risk": benchmark(plan, "At risk: 30 against 44", due=50, measured=[(-10, "30")]),
        "missed": benchmark(plan, "Missed: 50, due yesterday", start=-200, due=-1, measured=[(-5, "50")]),
        "no_data": benchmark(plan, "No data yet"),
    }


def confirmed_finding(code: str, cycle, officer, scope="Transfers not carried out") -> Finding:
    finding = Finding.objects.create(
        member_state=state(code), cycle=cycle, scope=scope, description="Delays", **COMMISSION_REPORT
    )
    finding_transition(finding=finding, transition="assess", actor=officer, reason=REASON)
    return finding_transition(finding=finding, transition="confirm", actor=officer, reason=REASON)


def activations_towards(code: str, cycle, coordinator, *, contributor="BE", amounts=(20,)):
    # One relocation pledge per state and cycle (a database constraint): reuse it for every activation.
    pledge = Pledge.objects.filter(cycle=cycle, member_state=contributor, kind="relocation").first() or PledgeFactory(
        cycle=cycle, member_state=state(contributor), kind="relocation", quantity=500, status="recorded"
    )
    return [
        pledge_services.activation_propose(
            pledge=pledge, benefitting_state=state(code), amount=amount, actor=coordinator, reason=REASON
        )
        for amount in amounts
    ]


DUBLIN_POST = {
    "member_state": "IT",
    "period_kind": "month",
    "period_start": "2026-03-01",
    "period_end": "2026-03-31",
    "take_charge_sent": "5",
    "take_charge_received": "120",
    "take_charge_accepted": "90",
    "take_charge_refused": "30",
    "take_back_sent": "0",
    "take_back_received": "80",
    "take_back_accepted": "60",
    "take_back_refused": "20",
    "transfers_carried_out": "45",
    "average_reply_days": "31.5",
    "average_transfer_days": "",
    "source": "Italian Dublin unit",
    "reason": "Monthly figures",
}
SECONDARY_POST = {
    "member_state": "BE",
    "period_kind": "quarter",
    "period_start": "2026-01-01",
    "period_end": "2026-03-31",
    "applications_lodged": "9000",
    "secondary_movement_share_percent": "62.00",
    "reception_occupancy_percent": "104.50",
    "source": "Schengen Barometer+",
    "reason": "Quarterly figures",
}
