"""The rows of the fair-share table over the API (``cycles/{year}/fair-shares/``): the key of AMMR Art. 66 and
Annex I, each state's figures of the Commission proposal or the Council act that differ from it, and its pledges.
"""

from rest_framework import serializers

from solidarity.domain.api_adjustments import IndicativeAdjustmentSerializer, indicative_adjustment_payload
from solidarity.domain.selectors import FairShareRow
from solidarity.platform.serializers import RegistrySerializer


def _decimal(max_digits: int, places: int, help_text: str):
    return serializers.DecimalField(max_digits=max_digits, decimal_places=places, allow_null=True, help_text=help_text)


def _count(help_text: str):
    return serializers.IntegerField(allow_null=True, help_text=help_text)


class FairShareRowSerializer(RegistrySerializer):
    """One state's line of the key (Art. 66, Annex I) against what it pledged; nulls where not applicable."""

    member_state = serializers.CharField(help_text="Eurostat code.")
    name = serializers.CharField()
    in_key = serializers.BooleanField(help_text="Bound by the solidarity part; false for DK and associated states.")
    share = _decimal(9, 4, "Share in percent, each rounded half-up to 4 places: the column may miss 100 by 0.0001s.")
    relocations = _count("Fair share in relocations, by the cycle's rounding rule.")
    financial_eur = _decimal(17, 2, "Fair share in euros.")
    deduction_percent = _decimal(9, 4, "Share of the state's pledges a Council act deducted, % (Arts 61-62).")
    obligation_relocations = _count("The fair share in relocations: `relocations` (a deduction lowers pledges).")
    obligation_financial_eur = _decimal(17, 2, "The fair share in euros: `financial_eur` (Art. 61(1): pledges).")
    official_share = _decimal(9, 4, "Share printed in the Council act, if recorded.")
    official_difference = _decimal(9, 4, "Computed share minus official share, in percentage points.")
    pledges_visible = serializers.BooleanField(
        help_text="Whether you may see this state's pledges (before adoption: own state, coordinator, auditors)."
    )
    pledged_relocations = _count("Counted relocation pledges (persons); null where not visible to you.")
    pledged_financial_eur = _decimal(17, 2, "Counted financial pledges; null where not visible.")
    pledged_alternative_eur = _decimal(17, 2, "Counted alternative measures (euro value); null where not visible.")
    pledged_relocation_equivalent = _decimal(17, 2, "Counted pledges in relocation equivalents; null if not visible.")
    coverage = _decimal(
        11,
        2,
        "Binding pledges in relocation equivalents, percent of the fair share; null if not visible or not in key.",
    )
    indicative_adjustments = IndicativeAdjustmentSerializer(
        many=True,
        help_text=(
            "Figures of the Commission proposal or the Council act's annex that differ from the key, with their "
            "source and whether their legal basis was verified (e.g. 2026: zero in the act's annex)."
        ),
    )


def fair_share_payload(row: FairShareRow) -> dict:
    visible = row.pledges_visible

    def key(name):
        return None if row.fair_share is None else getattr(row.fair_share, name)

    return {
        "member_state": row.member_state.code,
        "name": row.member_state.name,
        "in_key": row.in_key,
        "share": key("share_percent"),
        "relocations": key("relocations"),
        "financial_eur": key("financial_eur"),
        "deduction_percent": key("deduction_percent"),
        "obligation_relocations": key("obligation_relocations"),
        "obligation_financial_eur": key("obligation_financial_eur"),
        "official_share": row.official_share_percent,
        "official_difference": row.official_difference,
        "pledges_visible": visible,
        "pledged_relocations": row.pledged_relocations if visible else None,
        "pledged_financial_eur": row.pledged_financial_eur if visible else None,
        "pledged_alternative_eur": row.pledged_alternative_eur if visible else None,
        "pledged_relocation_equivalent": row.pledged_relocation_equivalent if visible else None,
        "coverage": row.coverage_percent,
        "indicative_adjustments": [indicative_adjustment_payload(a) for a in row.indicative_adjustments],
    }
