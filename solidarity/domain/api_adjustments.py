"""The fair-share API's figures of the Commission proposal or the Council act's annex that differ from the key
(``IndicativeAdjustment``): shown beside a state's fair share, never a deduction (AMMR Arts 61-62)."""

from rest_framework import serializers

from solidarity.domain.models import IndicativeAdjustment, IndicativeFigure, IndicativeSource
from solidarity.platform.serializers import RegistrySerializer


class IndicativeAdjustmentSerializer(RegistrySerializer):
    """A figure of the Commission proposal or the Council act's annex that differs from the key (not a deduction)."""

    figure = serializers.ChoiceField(choices=IndicativeFigure.choices, help_text="Which indicative figure.")
    source = serializers.ChoiceField(choices=IndicativeSource.choices, help_text="Where the figure is printed.")
    value = serializers.DecimalField(
        max_digits=17, decimal_places=2, coerce_to_string=True, help_text="The figure as printed: persons or euros."
    )
    source_text = serializers.CharField(help_text="The source, in words.")
    legal_basis_verified = serializers.BooleanField(help_text="Whether the provision it rests on was checked.")
    status = serializers.CharField(help_text="`legal basis verified` or `legal basis not verified`, in words.")
    note = serializers.CharField(allow_blank=True)


def indicative_adjustment_payload(adjustment: IndicativeAdjustment) -> dict:
    return {
        "figure": adjustment.figure,
        "source": adjustment.source,
        "value": adjustment.value,
        "source_text": adjustment.source_text,
        "legal_basis_verified": adjustment.legal_basis_verified,
        "status": adjustment.status_label,
        "note": adjustment.note,
    }
