"""The demo data behind `make run`: the first cycle (2026) from the shipped facts, the 2027 cycle in its
pledging exercise, and one user per role.

Everything is written through the services, so the demo's history reads like a real one, every row with a
reason starting "Demo data": what the coordinator manages (cycles, their stages, reference figures,
designations) by the coordinator demo user; the rows no service of the coordinator writes (users, official
shares, the figures of the Council act's annex that differ from the key) by no user: the system.

Each step looks first at what is there and only adds what is missing: a second run changes nothing, and
it never overwrites figures or designations that someone has since imported or corrected.
"""

import csv
import datetime
import json
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from compliance import demo as compliance_demo
from pledges import demo as pledge_demo
from pledges.pledging.models import DeductionArticle, DeductionRequest, DeductionScope
from solidarity.accounts.models import Role, User
from solidarity.domain.models import (
    CycleStatus,
    Designation,
    DesignationGround,
    DesignationKind,
    IndicativeAdjustment,
    IndicativeFigure,
    IndicativeSource,
    MemberState,
    OfficialShare,
    ReferenceFigure,
    RelocationRounding,
    SolidarityCycle,
)
from solidarity.domain.services import FigureRow, cycle_create, cycle_transition, cycle_update, designation_set
from solidarity.domain.services import reference_figures_replace as figures_replace
from solidarity.platform.workflow import save_audited, validate

DATA = Path(__file__).resolve().parent / "domain" / "data"
DEMO_PASSWORD = "demo-pass-2026"
REASON = "Demo data"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str | None
    member_state: str | None = None
    superuser: bool = False

    @property
    def label(self) -> str:
        if self.superuser:
            return "superuser (Django admin)"
        return f"{self.role} ({self.member_state})" if self.member_state else str(self.role)


DEMO_USERS = (
    DemoUser("admin", None, superuser=True),
    DemoUser("coordinator", Role.COORDINATOR),
    DemoUser("auditor", Role.AUDITOR),
    DemoUser("compliance", Role.COMPLIANCE_OFFICER),
    DemoUser("be_official", Role.OFFICIAL, "BE"),
    DemoUser("nl_official", Role.OFFICIAL, "NL"),
    DemoUser("be_negotiator", Role.NEGOTIATOR, "BE"),
    DemoUser("nl_negotiator", Role.NEGOTIATOR, "NL"),
)

# Annex I weighs population and GDP half each; the figures reported for 2026 round relocations up.
KEY_2026 = {
    "weight_population": Decimal("0.5"),
    "weight_gdp": Decimal("0.5"),
    "relocation_rounding": RelocationRounding.UP,
}
# Shares printed in the 2026 Council act as reported by secondary sources (first_cycle_2026.json,
# known_positions): kept beside the computed key so that any difference shows.
OFFICIAL_SHARES_2026 = {"DE": (Decimal("21.6890"), 4555), "FR": (Decimal("16.0021"), 3361)}
DESIGNATION_LISTS = {
    "under_migratory_pressure": DesignationKind.UNDER_PRESSURE,
    "significant_migratory_situation": DesignationKind.SIGNIFICANT_SITUATION,
    "at_risk_of_migratory_pressure": DesignationKind.AT_RISK,
}
GROUNDS = {"arrivals": DesignationGround.ARRIVALS, "search_and_rescue": DesignationGround.SAR}
NEXT_TRANSITION = {
    CycleStatus.PREPARATION: "propose",
    CycleStatus.PROPOSED: "open_pledging",
    CycleStatus.PLEDGING: "adopt",
    CycleStatus.ADOPTED: "start_application",
    CycleStatus.IN_APPLICATION: "close",
}
STAGES = list(CycleStatus.values)


@dataclass
class DemoSummary:
    created: Counter = field(default_factory=Counter)
    transitions: list[str] = field(default_factory=list)
    cycles: dict[int, str] = field(default_factory=dict)
    users: tuple[DemoUser, ...] = DEMO_USERS
    password: str = DEMO_PASSWORD

    @property
    def changed(self) -> bool:
        return bool(self.transitions) or any(self.created.values())


def load_demo(*, password: str = DEMO_PASSWORD, dry_run: bool = False) -> DemoSummary:
    """Load whatever part of the demo data is missing; all of it in one transaction."""
    summary = DemoSummary(password=password)
    with transaction.atomic():
        _ensure_users(password, summary)
        # Fetched afresh: the role names are cached on a user object, and the groups were just added.
        coordinator = User.objects.get(username="coordinator")
        facts = json.loads((DATA / "first_cycle_2026.json").read_text(encoding="utf-8"))
        cycle_2026 = _load_cycle_2026(facts, coordinator=coordinator, summary=summary)
        illustrative = json.loads((DATA / "demo_2027.json").read_text(encoding="utf-8"))
        cycle_2027 = _load_cycle_2027(illustrative, coordinator=coordinator, summary=summary)
        summary.cycles = {cycle.year: cycle.status for cycle in (cycle_2026, cycle_2027)}
        if dry_run:
            transaction.set_rollback(True)
    return summary


def _ensure_users(password: str, summary: DemoSummary) -> None:
    for spec in DEMO_USERS:
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            user = User(
                username=spec.username,
                email=f"{spec.username}@demo.invalid",
                first_name="Demo",
                last_name=spec.username.replace("_", " "),
                member_state_id=spec.member_state,
                is_staff=spec.superuser,
                is_superuser=spec.superuser,
            )
            validate_password(password, user)
            user.set_password(password)
            save_audited(user, actor=None, reason=REASON)
            summary.created["users"] += 1
        if spec.role and not user.groups.filter(name=spec.role).exists():
            user.groups.add(Group.objects.get(name=spec.role))


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _load_cycle_2026(facts: dict, *, coordinator: User, summary: DemoSummary) -> SolidarityCycle:
    c = facts["cycle"]
    proposal, pool, act = c["pool_proposal"], c["pool"], c["council_act"]
    cycle = SolidarityCycle.objects.filter(year=c["year"]).first()
    if cycle is None:
        # Until the Council act the pool's reference numbers are the proposal's (model comment, Art. 57).
        cycle = cycle_create(
            actor=coordinator,
            reason=REASON,
            year=c["year"],
            reference_relocations=proposal["relocations"],
            reference_financial_eur=Decimal(proposal["financial_eur"]),
            proposal_relocations=proposal["relocations"],
            proposal_financial_eur=Decimal(proposal["financial_eur"]),
            eur_per_relocation=Decimal(pool["eur_per_relocation"]),
            **KEY_2026,
            legal_basis=c["legal_basis"],
            report_reference=c["report"]["reference"],
            report_date=_date(c["report"]["date"]),
            pressure_decision_reference=c["pressure_decision"]["reference"],
            pressure_decision_date=_date(c["pressure_decision"]["date"]),
            proposal_date=_date(proposal["date"]),
            forum_dates=[meeting["date"] for meeting in c["high_level_forum_meetings"]],
            implementation_deadline=_date(c["implementation_deadline"]["date"]),
            regulation_applies_from=_date(c["regulation_applies_from"]["date"]),
            regulation_applies_from_source=c["regulation_applies_from"]["source"],
            notes=(
                f"Pool proposal: {proposal['note']}. Council act: {pool['note']}. "
                "The SAR indicative share of 42 % is reported, not verified."
            ),
        )
        summary.created["cycles"] += 1

    _add_missing_figures(cycle, _figures_from_csv(DATA / "reference_data_2026.csv"), actor=coordinator, summary=summary)
    _add_missing_designations(cycle, facts["designations"], actor=coordinator, summary=summary)

    cycle = _advance(cycle, to=CycleStatus.PLEDGING, actor=coordinator, summary=summary, reasons=_reasons_2026(c))
    pledges_demo = pledge_demo.demo_facts()
    pledge_demo.add_negotiation(cycle, pledges_demo["negotiation_2026"], coordinator=coordinator, summary=summary)
    if cycle.status == CycleStatus.PLEDGING:
        # The pledging exercise happens before the act that makes its submitted pledges binding.
        pledge_demo.add_pledges(cycle, pledges_demo["pledges_2026"], summary=summary)
        # The Council amended the proposal (Art. 57): its numbers replace the proposal's as the reference.
        cycle = cycle_update(
            cycle=cycle,
            changes={
                "reference_relocations": pool["relocations"],
                "reference_financial_eur": Decimal(pool["financial_eur"]),
                "political_agreement_date": _date(c["political_agreement"]["date"]),
                "sar_share_percent": Decimal(c["sar_indicative_share_percent"]["value"]),
                "applies_from": _date(c["applies_from"]["date"]),
            },
            expected_version=cycle.version,
            actor=coordinator,
            reason=f"{REASON}: reference numbers and dates of the Council act",
        )
        cycle = cycle_transition(
            cycle=cycle,
            transition="adopt",
            actor=coordinator,
            reason=_reasons_2026(c)["adopt"],
            council_act_reference=act["reference"],
            council_act_date=_date(act["date"]),
        ).cycle
        summary.transitions.append(f"{cycle.year}: adopt")

    _add_missing_official_shares(
        cycle, source=f"Reported as in {act['reference']} (secondary sources; unverified)", summary=summary
    )
    _add_missing_indicative_zeros(
        cycle, facts["indicative_adjustments"], act_reference=act["reference"], summary=summary
    )
    _add_illustrative_deduction_request(cycle, summary=summary)
    cycle = _advance(cycle, to=CycleStatus.IN_APPLICATION, actor=coordinator, summary=summary, reasons=_reasons_2026(c))
    pledge_demo.add_activations(cycle, pledges_demo["activations_2026"], coordinator=coordinator, summary=summary)
    compliance_demo.load(cycle, summary=summary)
    return cycle


def _reasons_2026(c: dict) -> dict[str, str]:
    return {
        "propose": f"{REASON}: the Commission proposed the pool on {c['pool_proposal']['date']} (Art. 12)",
        "open_pledging": (
            f"{REASON}: the High-Level EU Solidarity Forum met on {c['high_level_forum_meetings'][0]['date']} (Art. 13)"
        ),
        "adopt": f"{REASON}: {c['council_act']['reference']} of {c['council_act']['date']} (Art. 57)",
        "start_application": f"{REASON}: the pool applies from {c['applies_from']['date']}",
    }


def _load_cycle_2027(data: dict, *, coordinator: User, summary: DemoSummary) -> SolidarityCycle:
    c = data["cycle"]
    proposal = c["pool_proposal"]
    cycle = SolidarityCycle.objects.filter(year=c["year"]).first()
    if cycle is None:
        cycle = cycle_create(
            actor=coordinator,
            reason=REASON,
            year=c["year"],
            reference_relocations=proposal["relocations"],
            reference_financial_eur=Decimal(proposal["financial_eur"]),
            proposal_relocations=proposal["relocations"],
            proposal_financial_eur=Decimal(proposal["financial_eur"]),
            eur_per_relocation=Decimal(proposal["eur_per_relocation"]),
            weight_population=Decimal(c["key"]["weight_population"]),
            weight_gdp=Decimal(c["key"]["weight_gdp"]),
            relocation_rounding=c["key"]["relocation_rounding"],
            legal_basis=c["legal_basis"],
            implementation_deadline=_date(c["implementation_deadline"]["date"]),
            notes=c["notes"],
        )
        summary.created["cycles"] += 1

    copied = data["reference_figures"]
    rows = [
        FigureRow(
            member_state=figure.member_state_id,
            population=figure.population,
            gdp_eur_million=figure.gdp_eur_million,
            population_reference_date=figure.population_reference_date,
            population_source=f"{figure.population_source}; {copied['source_note']}"[:200],
            gdp_reference_year=figure.gdp_reference_year,
            gdp_source=f"{figure.gdp_source}; {copied['source_note']}"[:200],
            verified=False,
        )
        for figure in ReferenceFigure.objects.filter(cycle__year=copied["copied_from_year"])
    ]
    _add_missing_figures(cycle, rows, actor=coordinator, summary=summary)
    reasons = {
        "propose": f"{REASON}: illustrative proposal of the {c['year']} pool (Art. 12)",
        "open_pledging": f"{REASON}: illustrative opening of the {c['year']} pledging exercise (Art. 13)",
    }
    cycle = _advance(cycle, to=CycleStatus.PLEDGING, actor=coordinator, summary=summary, reasons=reasons)
    if cycle.status == CycleStatus.PLEDGING:
        pledge_demo.add_pledges(cycle, pledge_demo.demo_facts()["pledges_2027"], summary=summary)
    return cycle


def _advance(cycle: SolidarityCycle, *, to: str, actor, summary: DemoSummary, reasons: dict) -> SolidarityCycle:
    """Move ``cycle`` stage by stage up to ``to``, so the history shows every step; never backwards."""
    while STAGES.index(cycle.status) < STAGES.index(to):
        transition = NEXT_TRANSITION[cycle.status]
        cycle = cycle_transition(cycle=cycle, transition=transition, actor=actor, reason=reasons[transition]).cycle
        summary.transitions.append(f"{cycle.year}: {transition}")
    return cycle


def _figures_from_csv(path: Path) -> list[FigureRow]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            FigureRow(
                member_state=row["code"],
                population=int(row["population"]),
                gdp_eur_million=Decimal(row["gdp_eur_million"]),
                population_reference_date=_date(row["population_reference_date"]),
                population_source=row["population_source"],
                gdp_reference_year=int(row["gdp_reference_year"]) if row["gdp_reference_year"] else None,
                gdp_source=row["gdp_source"],
                verified=False,
            )
            for row in csv.DictReader(handle)
        ]


def _add_missing_figures(cycle: SolidarityCycle, rows: list[FigureRow], *, actor, summary: DemoSummary) -> None:
    # Only states without figures: an import of official figures made since must survive a second run.
    present = set(ReferenceFigure.objects.filter(cycle=cycle).values_list("member_state_id", flat=True))
    missing = [row for row in rows if row.member_state not in present]
    if missing:
        counts = figures_replace(cycle=cycle, rows=missing, actor=actor, reason=REASON)
        summary.created["reference figures"] += counts["created"]


def _add_missing_designations(cycle: SolidarityCycle, designations: dict, *, actor, summary: DemoSummary) -> None:
    present = set(Designation.objects.filter(cycle=cycle).values_list("member_state_id", "kind"))
    for list_name, kind in DESIGNATION_LISTS.items():
        for entry in designations[list_name]:
            code, ground = (entry["code"], GROUNDS[entry["ground"]]) if isinstance(entry, dict) else (entry, "")
            if (code, kind) in present:
                continue
            designation_set(
                cycle=cycle,
                member_state=MemberState.objects.get(code=code),
                kind=kind,
                ground=ground,
                source=designations["source"],
                actor=actor,
                reason=REASON,
            )
            summary.created["designations"] += 1


def _add_missing_official_shares(cycle: SolidarityCycle, *, source: str, summary: DemoSummary) -> None:
    present = set(OfficialShare.objects.filter(cycle=cycle).values_list("member_state_id", flat=True))
    for code, (percent, relocations) in OFFICIAL_SHARES_2026.items():
        if code in present:
            continue
        share = OfficialShare(
            cycle=cycle,
            member_state_id=code,
            share_percent=percent,
            relocations=relocations,
            source=source,
            verified=False,
        )
        validate(share, unique=False)
        save_audited(share, actor=None, reason=REASON, bump_version=False)
        summary.created["official shares"] += 1


def _add_illustrative_deduction_request(cycle: SolidarityCycle, *, summary: DemoSummary) -> None:
    """An illustrative request, not decided: Bulgaria, designated as facing a significant migratory situation,
    asks to deduct half of its pledges (AMMR Art. 62(1)); the Commission has still to assess it. A request is
    the act of the state's own official, whom the demo does not have: it is saved as the system's."""
    if DeductionRequest.objects.filter(cycle=cycle, member_state_id="BG").exists():
        return
    deduction = DeductionRequest(
        cycle=cycle,
        member_state_id="BG",
        article=DeductionArticle.ART_62,
        scope=DeductionScope.PARTIAL,
        requested_percent=Decimal(50),
        grounds="Illustrative: a significant migratory situation (Art. 62); not a request made by Bulgaria",
        illustrative=True,
    )
    save_audited(deduction, actor=None, reason=REASON, bump_version=False)
    summary.created["deduction requests"] += 1


def _add_missing_indicative_zeros(
    cycle: SolidarityCycle, facts: dict, *, act_reference: str, summary: DemoSummary
) -> None:
    """The 2026 zeros of AT, CZ, HR and PL: "zero in the act's annex; legal basis not verified".

    Not granted deductions: a deduction is of a state's pledges and decided by a Council implementing act
    (AMMR Arts 61-62), and Spain's statement to the act says they were reduced "without the Council having
    decided on these deductions" (DOMAIN.md). Recorded as the act's figures, with their source, by the system.
    """
    present = set(IndicativeAdjustment.objects.filter(cycle=cycle).values_list("member_state_id", "figure", "source"))
    for code in facts["zero_in_council_act_annex"]:
        for figure in IndicativeFigure.values:
            if (code, figure, IndicativeSource.COUNCIL_ACT) in present:
                continue
            adjustment = IndicativeAdjustment(
                cycle=cycle,
                member_state_id=code,
                figure=figure,
                source=IndicativeSource.COUNCIL_ACT,
                value=Decimal(0),
                source_text=f"Reported as zero in the annex of {act_reference} (secondary sources)",
                legal_basis_verified=bool(facts.get("verified")),
                note=facts.get("note", ""),
            )
            validate(adjustment, unique=False)
            save_audited(adjustment, actor=None, reason=REASON, bump_version=False)
            summary.created["indicative adjustments"] += 1
