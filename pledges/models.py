"""The `pledges` app's models, gathered for Django's registry: each is defined in its sub-domain's package.

Code imports a model from its home (``pledges.pledging``, ``pledges.implementation``, ``pledges.negotiation``),
never from here (import-linter checks it).
"""

from pledges.implementation.models import Activation, Fulfilment, ResponsibilityOffset
from pledges.negotiation.models import ForumMeeting, Position, Topic
from pledges.pledging.models import DeductionRequest, Pledge

__all__ = [
    "Activation",
    "DeductionRequest",
    "ForumMeeting",
    "Fulfilment",
    "Pledge",
    "Position",
    "ResponsibilityOffset",
    "Topic",
]
