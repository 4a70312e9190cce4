"""Who may do what with Member States, cycles and reference data. Views, API and admin all ask these."""

import rules

from solidarity.accounts.rules import is_auditor, is_coordinator, is_member

rules.add_perm("solidarity.view_reference_data", is_member)
rules.add_perm("solidarity.manage_cycle", is_coordinator)
rules.add_perm("solidarity.change_solidaritycycle", is_coordinator)
rules.add_perm("solidarity.change_referencefigure", is_coordinator)
rules.add_perm("solidarity.add_referencefigure", is_coordinator)
rules.add_perm("solidarity.change_designation", is_coordinator)
rules.add_perm("solidarity.add_designation", is_coordinator)
rules.add_perm("solidarity.view_history", is_auditor)
