"""The legal basis of every rule the product applies: one registry, read by the "Legal basis" page and by
``docs/legal-basis.md`` (written by ``manage.py legal_basis_doc``).

Each entry names the rule, its article(s) of the AMMR (Regulation (EU) 2024/1351, unless said otherwise),
a short quote where the team's domain notes (DOMAIN.md) record the text as read (copied from them, never
written here), and, where the basis is not verified, what remains to check. ``homes`` are the dotted paths of the
functions, methods and constants that are the rule's one home (docs/architecture.md, "One home per rule").
The entries live here, in the lowest layer, as text: nothing is imported from the layers above, and
``tests/test_legal_basis.py`` resolves every home and fails when a rule function has no entry.

Adding a rule is one more ``LegalRule(...)`` in ``RULES``.
"""

import re
from dataclasses import dataclass, field
from itertools import groupby

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    VERIFIED = "verified", _("Verified")
    NOT_VERIFIED = "not_verified", _("Not verified")


@dataclass(frozen=True)
class Quote:
    """Words of the text as DOMAIN.md records them, and where they were read."""

    text: str
    source: str


@dataclass(frozen=True)
class LegalRule:
    key: str
    title: Promise | str
    articles: tuple[str, ...]
    homes: tuple[str, ...]
    quotes: tuple[Quote, ...] = ()
    # What remains to check; empty when the basis was verified against the text.
    remains: Promise | str = ""
    anchor: str = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "anchor", f"rule-{self.key}")

    @property
    def status(self) -> Status:
        return Status.NOT_VERIFIED if self.remains else Status.VERIFIED

    @property
    def verified(self) -> bool:
        return self.status == Status.VERIFIED


FANTASTICSEARCH = "fantasticsearch.net/law/eu/en"
CHECKED = "checked against the text, December 2026 (DOMAIN.md)"
_ART_57_REMAINS = _(
    "Art. 57 was read, but DOMAIN.md quotes no words of it on when pledges become public and binding: quote "
    "them from the Official Journal text."
)
_ART_60_3_REMAINS = _(
    "The rest of Art. 60(3)'s subparagraph on systemic shortcomings, and who identifies them (understood to "
    "be the Commission, in its annual report): not readable in any source reached."
)

RULES: tuple[LegalRule, ...] = (
    LegalRule(
        key="pool-proposal",
        title=_("The Commission proposes the pool's reference numbers, kept apart from the Council act's"),
        articles=("Art. 12(2)",),
        homes=("solidarity.domain.models.SolidarityCycle.propose",),
        quotes=(
            Quote(
                "at least: (a) 30 000 for relocations; (b) EUR 600 million for financial contributions",
                f"AMMR Art. 12(2), {FANTASTICSEARCH}",
            ),
        ),
        remains=_(
            "The Commission's proposal for 2026 was not found: the figures recorded as the proposal's, and the "
            "50 % of Art. 63(1) measured against them, are not verified."
        ),
    ),
    LegalRule(
        key="pledging-exercise",
        title=_("Pledges are made, revised, submitted and withdrawn in the pledging exercise of the High-Level Forum"),
        articles=("Art. 13",),
        homes=(
            "solidarity.domain.models.SolidarityCycle.open_pledging",
            "pledges.pledging.services.open_pledging_cycle",
            "pledges.pledging.services.pledge_create",
            "pledges.pledging.services.pledge_create_and_submit",
            "pledges.pledging.services.pledge_transition",
            "pledges.pledging.services.pledge_update",
            "pledges.pledging.models.Pledge.submit",
            "pledges.pledging.models.Pledge.reopen",
            "pledges.pledging.models.Pledge.withdraw",
            "pledges.pledging.selectors.pledging_cycles",
            "pledges.negotiation.services.forum_meeting_create",
        ),
        quotes=(Quote("within 15 days", f"AMMR Art. 13(1), {FANTASTICSEARCH}"),),
    ),
    LegalRule(
        key="dublin-associated-states",
        title=_("Dublin-associated states take part in the Forum only when invited, and pledge ad hoc"),
        articles=("Art. 13(1)",),
        homes=("pledges.negotiation.selectors.PositionMatrix.taking_part",),
        quotes=(
            Quote(
                "may, for the purpose of contributing to solidarity on an ad hoc basis be invited",
                f"AMMR Art. 13(1), {FANTASTICSEARCH}",
            ),
        ),
    ),
    LegalRule(
        key="own-position",
        title=_("A state's own position is recorded by its delegation or by the coordinator"),
        articles=("Arts 13-14",),
        homes=(
            "pledges.negotiation.models.speaks_for_its_state",
            "pledges.negotiation.models.Position.speaks_for_its_state",
            "pledges.negotiation.models.PositionQuerySet.speaking_for_their_state",
            "pledges.negotiation.services.position_create",
            "pledges.negotiation.services.position_update",
            "pledges.negotiation.selectors.position_matrix",
        ),
        quotes=(Quote("(f) convene and chair the Technical-Level Forum", f"AMMR Art. 15, {FANTASTICSEARCH}"),),
        remains=_(
            "Arts 13-14 were not found to say whose record of a delegation's position is its state's own: the "
            "product's reading of who speaks at the Forums."
        ),
    ),
    LegalRule(
        key="position-visibility",
        title=_("Who reads a delegation's position"),
        articles=("Arts 13-14",),
        homes=(
            "pledges.negotiation.selectors.positions_visible_to",
            "pledges.negotiation.models.SHARED_WITH_EVERY_DELEGATION",
            "pledges.negotiation.models.Position.is_shared_with_every_delegation",
        ),
        remains=_(
            "No article was found on who reads the positions taken in the Forums: restricting them to the "
            "recording delegation, the coordinator and auditors is the product's choice."
        ),
    ),
    LegalRule(
        key="measures-of-equal-value",
        title=_("The types of pledge: relocation, financial contribution, alternative measure"),
        articles=("Art. 56(2)",),
        homes=("pledges.pledging.services.clean_pledge_measure",),
        quotes=(Quote("shall be considered of equal value", f"AMMR Art. 56(2), {CHECKED}"),),
    ),
    LegalRule(
        key="relocation-equivalent",
        title=_("The relocation equivalent: one relocation counts as the cycle's euro value (EUR 20 000)"),
        articles=("Art. 56(2)", "Art. 12(2)"),
        homes=(
            "solidarity.domain.fairshare.relocation_equivalent",
            "solidarity.domain.models.SolidarityCycle.relocation_equivalent",
            "pledges.pledging.models.Pledge.relocation_equivalent",
            "pledges.implementation.pool.relocation_equivalent",
        ),
        quotes=(Quote("shall be considered of equal value", f"AMMR Art. 56(2), {CHECKED}"),),
        remains=_(
            "EUR 20 000 per relocation is the ratio of Art. 12(2)'s reference numbers (EUR 600 million for "
            "30 000 relocations); its legal wording was not found: a conversion convention."
        ),
    ),
    LegalRule(
        key="council-act",
        title=_("The Council implementing act records the submitted pledges, which become binding"),
        articles=("Art. 57",),
        homes=(
            "solidarity.domain.models.SolidarityCycle.adopt",
            "pledges.pledging.services.pledges_record_for_adoption",
            "pledges.pledging.models.Pledge.record",
        ),
        remains=_ART_57_REMAINS,
    ),
    LegalRule(
        key="pledge-visibility",
        title=_("Pledges are public from the Council act; before it a state's pledges are its own"),
        articles=("Art. 57",),
        homes=(
            "solidarity.domain.models.PLEDGES_PUBLIC_FROM",
            "solidarity.domain.models.SolidarityCycle.pledges_are_public",
            "pledges.pledging.models.PledgeQuerySet.visible_to",
            "pledges.pledging.models.Pledge.is_visible_to",
            "pledges.pledging.models.Pledge.is_public",
            "pledges.pledging.models.Pledge.is_visible_before_publication_to",
            "pledges.pledging.models.Pledge.history_visible_to",
            "pledges.pledging.models.sees_every_state_pledges",
            "pledges.pledging.models.states_whose_pledges_are_visible",
            "pledges.pledging.selectors.pledge_history",
        ),
        remains=_ART_57_REMAINS,
    ),
    LegalRule(
        key="implementation-visibility",
        title=_("Who reads the implementation of a state's pledge: what was activated and fulfilled"),
        articles=("Art. 57", "Art. 60"),
        homes=(
            "pledges.pledging.models.sees_implementation",
            "pledges.pledging.models.implementation_parties_filter",
            "pledges.pledging.models.Pledge.implementation_visible_to",
            "pledges.pledging.models.PledgeQuerySet.implementation_visible_to",
            "pledges.implementation.selectors.activations_visible_to",
        ),
        remains=_(
            "No article was found on who reads activations and fulfilment: keeping them to the contributing "
            "and benefitting states, the coordinator and auditors is the product's choice."
        ),
    ),
    LegalRule(
        key="activations",
        title=_("The coordinator activates recorded pledges towards benefitting states, in a balanced way"),
        articles=("Art. 60(2)", "Arts 58-59"),
        homes=(
            "solidarity.domain.models.SolidarityCycle.start_application",
            "pledges.implementation.services.activation_propose",
            "pledges.implementation.selectors.is_activatable",
            "pledges.implementation.selectors.under_pressure",
        ),
        quotes=(
            Quote(
                "a balanced distribution of the solidarity contributions available among the benefitting Member States",
                f"AMMR Art. 60(2), {FANTASTICSEARCH}",
            ),
            Quote(
                "shall notify the Commission of its need to make use of the Annual Solidarity Pool and inform the "
                "Council",
                f"AMMR Art. 59, {FANTASTICSEARCH}",
            ),
        ),
    ),
    LegalRule(
        key="fulfilment",
        title=_("Pledges are implemented before the end of the year, in proportion to the overall pledge"),
        articles=("Art. 60(3)",),
        homes=(
            "pledges.implementation.services.fulfilment_record",
            "pledges.implementation.pool.elapsed_percent",
        ),
        quotes=(
            Quote(
                "With the exception of the implementation of financial contributions ... [contributing states] "
                "shall implement ... before the end of that year ... in proportion to their overall pledge",
                f"AMMR Art. 60(3), {FANTASTICSEARCH}",
            ),
        ),
    ),
    LegalRule(
        key="activation-decline",
        title=_(
            "A contributing state declines an activation only on Art. 60(3) grounds; other refusals are not implemented"
        ),
        articles=("Art. 60(3)",),
        homes=(
            "pledges.implementation.services.activation_transition",
            "pledges.implementation.models.DeclineGround",
            "compliance.services.require_confirmed_finding",
            "pledges.implementation.models.Activation.is_not_implemented",
            "pledges.implementation.models.ActivationQuerySet.not_implemented",
            "pledges.implementation.refusals.not_implemented_by_state",
        ),
        quotes=(
            Quote(
                "Contributing Member States shall not be obliged to implement their pledges ...",
                f"AMMR Art. 60(3), {FANTASTICSEARCH}",
            ),
        ),
        remains=_ART_60_3_REMAINS,
    ),
    LegalRule(
        key="findings-effect",
        title=_(
            "A confirmed systemic-shortcoming finding lets contributing states decline activations towards that state"
        ),
        articles=("Art. 60(3)",),
        homes=(
            "compliance.services.require_commission_identification",
            "compliance.models.Finding.missing_commission_identification",
            "pledges.implementation.selectors.findings_with_effect",
        ),
        quotes=(
            Quote(
                "Contributing Member States shall not be obliged to implement their pledges ...",
                f"AMMR Art. 60(3), {FANTASTICSEARCH}",
            ),
        ),
        remains=_ART_60_3_REMAINS,
    ),
    LegalRule(
        key="open-activations",
        title=_("Open activations: those a finding still lets a contributing state decline"),
        articles=("Art. 60(3)",),
        homes=(
            "pledges.implementation.models.OPEN_ACTIVATION_STATUSES",
            "pledges.implementation.models.ActivationQuerySet.open",
        ),
        remains=_ART_60_3_REMAINS,
    ),
    LegalRule(
        key="deductions",
        title=_("A state under pressure, or facing a significant migratory situation, asks a deduction of its pledges"),
        articles=("Arts 61-62",),
        homes=(
            "pledges.pledging.services.deduction_request",
            "pledges.pledging.services.deduction_decide",
            "pledges.pledging.services._deduct_from_pledges",
            "pledges.pledging.services._percent_by_kind",
            "pledges.pledging.models.Pledge.deducted",
            "pledges.pledging.models.Pledge.deduction_of",
            "pledges.pledging.models.DeductionRequest.percent_of_kind",
            "pledges.implementation.selectors.designations_of",
            "pledges.implementation.selectors.assessment_due",
        ),
        quotes=(
            Quote(
                "which has not made use of the Annual Solidarity Pool ... may, at any time, request a partial or "
                "full deduction of its pledged contributions set out in the Council implementing act",
                f"AMMR Art. 61(1), {FANTASTICSEARCH}",
            ),
            Quote("within four weeks following the receipt of the request", f"AMMR Art. 61(3), {FANTASTICSEARCH}"),
        ),
    ),
    LegalRule(
        key="granted-deductions",
        title=_("A deduction is granted by the Council's implementing act; who reads a deduction request"),
        articles=("Art. 61(4)", "Art. 62(4)"),
        homes=(
            "pledges.pledging.models.GRANTED_DEDUCTION_STATUSES",
            "pledges.pledging.models.DeductionRequestQuerySet.granted",
            "pledges.pledging.models.DeductionRequestQuerySet.visible_to",
            "pledges.pledging.models.DeductionRequest.is_granted",
            "pledges.pledging.selectors.granted_deductions_percent",
        ),
        quotes=(
            Quote(
                "the Council shall adopt an implementing act to determine whether the Member State is authorised "
                "to derogate",
                f"AMMR Art. 61(4), {FANTASTICSEARCH}",
            ),
        ),
    ),
    LegalRule(
        key="offset-eligibility",
        title=_("When responsibility offsets may be requested and offered"),
        articles=("Art. 63(1)-(2)",),
        homes=(
            "pledges.implementation.selectors.offset_eligibility",
            "pledges.implementation.services.offset_request",
            "pledges.implementation.pool.offset_eligibility_by_state",
            "pledges.implementation.pool.states_open_to_offsets",
            "solidarity.domain.models.SolidarityCycle.offset_threshold_percent",
        ),
        quotes=(
            Quote(
                "equal to or above 50 % of the number indicated in the Commission proposal",
                f"AMMR Art. 63(1), {FANTASTICSEARCH}",
            ),
            Quote("has pledged 50 % or more of its mandatory fair share", f"AMMR Art. 63(2), {FANTASTICSEARCH}"),
        ),
    ),
    LegalRule(
        key="mandatory-offsets",
        title=_(
            "Below the cycle's threshold after the High-Level Forum, contributing states must take responsibility "
            "for applications (mandatory offsets)"
        ),
        articles=("Art. 63(3)-(4)",),
        homes=(
            "pledges.implementation.selectors.mandatory_offsets",
            "solidarity.domain.models.SolidarityCycle.mandatory_offset_threshold_percent",
        ),
        quotes=(
            Quote(
                "in a situation of migratory pressure, relocation or responsibility offsets are to cover 60 % of "
                "the relocation needs",
                "Regulation (EU) 2024/1359, recital 30",
            ),
        ),
        remains=_(
            "Art. 63(3)'s threshold and its points (a) and (b), and Art. 63(4), were not readable in any source "
            "reached: the product takes the 60 % of the Crisis Regulation's recital as the cycle's default, the "
            "higher of the shortfalls against the proposal's and the Council act's relocations, shared by the key "
            "among the contributing states and capped by what each state's relocation pledges leave of its fair "
            "share. Read the Official Journal text."
        ),
    ),
    LegalRule(
        key="sar-share",
        title=_("The indicative share of the pool for states under pressure from search-and-rescue disembarkations"),
        articles=("Art. 57(2)",),
        homes=(
            "pledges.implementation.pool.sar_share",
            "pledges.implementation.pool.SarShare",
            "pledges.implementation.pool.sar_designated_states",
        ),
        remains=_(
            "Art. 57(2)'s words on the indicative share were not quoted, and the 42 % of the 2026 cycle is "
            "reported, not verified: check it in the Council implementing act."
        ),
    ),
    LegalRule(
        key="offset-answer",
        title=_("The requested state answers an offset request within 30 days, and may accept fewer"),
        articles=("Art. 69",),
        homes=(
            "pledges.implementation.services.offset_answer",
            "pledges.implementation.selectors.is_overdue",
            "pledges.implementation.selectors.overdue_offsets",
        ),
        quotes=(Quote("shall reply to the request within 30 days of receipt", f"AMMR Art. 69(1)-(3), {CHECKED}"),),
    ),
    LegalRule(
        key="fair-share",
        title=_("The fair share: 50 % population and 50 % GDP over the states in the key, times the reference numbers"),
        articles=("Art. 66", "Annex I"),
        homes=("solidarity.domain.fairshare.compute_fair_shares",),
        remains=_(
            "Art. 66's data series (which Eurostat tables, which vintage). The 2026 GDP figures shipped are "
            "estimates, and give DE 21.6606 % and FR 16.0353 % against the reported 21.6890 % and 16.0021 %: "
            "the Council act's annex, once imported, is the record."
        ),
    ),
    LegalRule(
        key="relocation-rounding",
        title=_("Fair shares in relocations are rounded by the cycle's rule (up, or half-up)"),
        articles=("Art. 66", "Annex I"),
        homes=("solidarity.domain.fairshare.round_relocations",),
        remains=_(
            "No wording on rounding was read. The reported 2026 figures round up (DE 4 555, FR 3 361), so the "
            "fair shares add up to more than the pool (21 014 for 21 000)."
        ),
    ),
    LegalRule(
        key="share-rounding",
        title=_("Each share is rounded half-up to four places, as the Council act prints it"),
        articles=("Art. 66", "Annex I"),
        homes=("solidarity.domain.fairshare.round_share",),
        remains=_(
            "No wording on rounding the percentages was read: the act prints each share with four decimals. "
            "The largest-remainder rounding that made the column add up to exactly 100 had no source and was "
            "dropped, so the 2026 column adds up to 100.0001."
        ),
    ),
    LegalRule(
        key="states-in-key",
        title=_(
            "The states in each cycle's key (the 26 Member States bound by the solidarity part, without Denmark); "
            "the others' pledges are ad hoc"
        ),
        articles=("Art. 66", "Art. 13(1)", "Protocol No 22"),
        homes=(
            "solidarity.domain.models.SolidarityCycle.counts_in_key",
            "solidarity.domain.models.SolidarityCycle.states_in_key",
            "solidarity.domain.services.cycle_create",
            "solidarity.domain.models.MemberState.counted_in_key",
            "solidarity.domain.models.MemberStateQuerySet.in_key",
            "solidarity.domain.models.MemberStateQuerySet.codes_in_protocol_order",
            "pledges.pledging.models.Pledge.is_ad_hoc",
        ),
        quotes=(
            Quote(
                "may, for the purpose of contributing to solidarity on an ad hoc basis be invited",
                f"AMMR Art. 13(1), {FANTASTICSEARCH}",
            ),
        ),
        remains=_(
            "Protocol No 22 (Denmark) and Ireland's notification of 27 June 2024 were not read; which states are "
            "in the key is data of each cycle (recorded by the coordinator, filled from the seed)."
        ),
    ),
    LegalRule(
        key="binding-pledge",
        title=_(
            "A pledge binds as recorded by the Council act, less what a granted deduction took from it; "
            "activations never exceed it"
        ),
        articles=("Art. 61(1)", "Art. 62(1)", "Art. 60(2)"),
        homes=(
            "pledges.pledging.models.Pledge.binding_measure",
            "pledges.pledging.models.BINDING_MEASURE",
            "pledges.pledging.models.PledgeQuerySet.with_binding_measure",
            "pledges.pledging.models.Pledge.measure",
            "pledges.pledging.selectors.pledged_totals",
            "pledges.implementation.selectors.left_to_activate",
            "pledges.implementation.selectors.activatable_pledges",
        ),
        quotes=(
            Quote(
                "request a partial or full deduction of its pledged contributions set out in the Council "
                "implementing act",
                f"AMMR Art. 61(1), {FANTASTICSEARCH}",
            ),
        ),
    ),
    LegalRule(
        key="indicative-adjustments",
        title=_(
            "Figures of the Commission proposal or the Council act that differ from the key are recorded with "
            "their source, beside the fair share, never applied to it"
        ),
        articles=("Art. 12", "Art. 57"),
        homes=(
            "solidarity.domain.models.IndicativeAdjustment",
            "solidarity.domain.selectors.FairShareRow.indicative_adjustments",
        ),
        remains=_(
            "The 2026 act's annex gives AT, CZ, HR and PL zero; its legal basis was not verified (Spain's "
            "statement to the act disputes that the Council decided deductions)."
        ),
    ),
    LegalRule(
        key="coverage",
        title=_("Coverage: what a state's pledges bind it to, against its fair share"),
        articles=("Art. 66",),
        homes=("solidarity.domain.selectors.FairShareRow.coverage_percent",),
        remains=_(
            "Coverage is the product's measure of pledges against the key; no article defines it. Ad hoc "
            "pledges (Art. 13(1)) never count in it."
        ),
    ),
)

_BY_KEY = {rule.key: rule for rule in RULES}


def rule(key: str) -> LegalRule:
    """The entry ``key``; KeyError for an unknown one (a template or test naming a rule that is gone)."""
    return _BY_KEY[key]


_ARTICLE_NUMBER = re.compile(r"Arts?\.?\s+(\d+)")


def _article_order(article: str) -> tuple[int, str]:
    # Articles of the AMMR by number; an annex or another instrument after them.
    match = _ARTICLE_NUMBER.match(article)
    return (int(match.group(1)), article) if match else (10_000, article)


def rules_by_article() -> list[tuple[str, list[LegalRule]]]:
    """The entries grouped by their first article, in the order of the regulation."""
    ordered = sorted(RULES, key=lambda entry: (_article_order(entry.articles[0]), entry.key))
    return [(article, list(entries)) for article, entries in groupby(ordered, key=lambda entry: entry.articles[0])]


def as_markdown() -> str:
    """``docs/legal-basis.md``: the registry in English, grouped as the page groups it."""
    lines = [
        "# Legal basis of each rule",
        "",
        "Generated from `solidarity/platform/legal_basis.py` by `python manage.py legal_basis_doc`; do not edit by",
        "hand (`python manage.py legal_basis_doc --check` fails when this file is out of date). Articles are of",
        "Regulation (EU) 2024/1351 (AMMR) unless said otherwise; quotes are as DOMAIN.md records the text.",
        'The same list is the registry\'s page "Legal basis" (`/legal-basis/`).',
    ]
    for article, entries in rules_by_article():
        lines += ["", f"## {article}"]
        for entry in entries:
            lines += ["", f"### {entry.title}", "", f"- key: `{entry.key}`"]
            lines.append(f"- articles: {', '.join(entry.articles)}")
            lines.append(f"- status: **{entry.status.label}**")
            if entry.remains:
                lines.append(f"- remains to check: {entry.remains}")
            lines += [f'- quote: "{quote.text}" ({quote.source})' for quote in entry.quotes]
            lines.append(f"- home: {', '.join(f'`{home}`' for home in entry.homes)}")
    return "\n".join(lines) + "\n"
