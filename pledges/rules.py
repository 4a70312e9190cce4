"""The pledges app's permissions, gathered for ``rules``' autodiscovery: each is defined in its sub-domain."""

from pledges.implementation import rules as implementation_rules
from pledges.negotiation import rules as negotiation_rules
from pledges.pledging import rules as pledging_rules

__all__ = ["implementation_rules", "negotiation_rules", "pledging_rules"]
