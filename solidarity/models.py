"""The `solidarity` app's models, gathered for Django's registry: each is defined beside the code it serves.

The user model is the platform's (``solidarity.accounts``), the rest the cycle domain's (``solidarity.domain``).
Code imports a model from its home, never from here (import-linter checks it).
"""

from solidarity.accounts.models import ApiToken, User
from solidarity.domain.models import (
    Designation,
    IndicativeAdjustment,
    MemberState,
    OfficialShare,
    ReferenceFigure,
    Scenario,
    SolidarityCycle,
)

__all__ = [
    "ApiToken",
    "Designation",
    "IndicativeAdjustment",
    "MemberState",
    "OfficialShare",
    "ReferenceFigure",
    "Scenario",
    "SolidarityCycle",
    "User",
]
