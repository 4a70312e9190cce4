"""What the cycle domain asks of the pledges layer above it (see ``solidarity.platform.hooks``).

``pledges`` implements each in ``PledgesConfig.ready()``; without it, a cycle has no pledges.
"""

from solidarity.platform.hooks import Hook

# pledged_totals(cycle, *, viewer, states) -> {state code: PledgedTotals}: the counted pledges of each of
# ``states`` whose pledges ``viewer`` may see (AMMR Art. 57: public from the Council act); a state left out
# is hidden from ``viewer``.
pledged_totals = Hook("pledged_totals", default=lambda cycle, *, viewer, states: {})

# granted_deductions_percent(cycle) -> {state code: Decimal percent}: the share of each state's pledges a Council
# implementing act deducted (AMMR Arts 61(1), 62(1)): reported in the fair-share table, never applied to the share.
granted_deductions_percent = Hook("granted_deductions_percent", default=lambda cycle: {})

# record_pledges_on_adoption(*, cycle, actor, reason) -> (number recorded, drafts left): called inside the
# adoption's transaction, so that the Council act and the binding pledges are written together (Art. 57).
record_pledges_on_adoption = Hook("record_pledges_on_adoption", default=lambda *, cycle, actor, reason: (0, []))
