from django.apps import AppConfig


class PledgesConfig(AppConfig):
    name = "pledges"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # The lower layers' hooks that pledges completes (docs/architecture.md, "Hooks"). Imported here because
        # Django forbids importing models before its registry is ready: the one kind of function-level import
        # the house allows (tests/test_architecture.py checks it).
        from compliance import hooks as compliance_hooks
        from pledges.implementation import notifications
        from pledges.implementation.selectors import findings_with_effect
        from pledges.pledging.selectors import granted_deductions_percent, pledged_totals
        from pledges.pledging.services import pledges_record_for_adoption
        from solidarity.domain import hooks as cycle_hooks

        cycle_hooks.pledged_totals.implement(pledged_totals)
        cycle_hooks.granted_deductions_percent.implement(granted_deductions_percent)
        cycle_hooks.record_pledges_on_adoption.implement(pledges_record_for_adoption)
        compliance_hooks.findings_with_effect.implement(findings_with_effect)
        compliance_hooks.finding_decided.implement(notifications.notify_contributing_officials)
