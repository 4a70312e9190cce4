"""The solidarity app's permissions, gathered for ``rules``' autodiscovery: each is defined in its package."""

from solidarity.domain import rules as cycle_rules

__all__ = ["cycle_rules"]
