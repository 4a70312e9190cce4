"""Who may record and read compliance data: compliance officers write; every member reads."""

import rules

from solidarity.accounts.rules import is_compliance_officer, is_member

rules.add_perm("compliance.manage", is_compliance_officer)
rules.add_perm("compliance.view", is_member)
