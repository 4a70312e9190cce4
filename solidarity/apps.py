from django.apps import AppConfig
from django.apps import apps as global_apps
from django.core.management import call_command
from django.db.models.signals import post_migrate

from solidarity.domain.seed import seed_roles_and_member_states
from solidarity.platform.integrity import install_append_only_triggers


def _install_triggers(sender, using, **kwargs):
    install_append_only_triggers(using=using)


def _create_cache_table(sender, using, **kwargs):
    """The database cache's table (settings.CACHES, when no Redis is set): made if missing, after every migrate."""
    call_command("createcachetable", database=using, verbosity=0)


def _seed_roles_and_member_states(sender, using, apps=None, **kwargs):
    apps = apps or global_apps  # flush sends no migration state

    try:
        apps.get_model("solidarity", "MemberState")
    except LookupError:  # migrated back to before the model existed
        return
    seed_roles_and_member_states(apps, using=using)


class SolidarityConfig(AppConfig):
    name = "solidarity"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # After every migrate, not in a migration: history tables added later are covered too.
        post_migrate.connect(_install_triggers, sender=self, dispatch_uid="solidarity_append_only_history")
        # The shared cache's table on the database (the embedded default), wherever migrate runs.
        post_migrate.connect(_create_cache_table, sender=self, dispatch_uid="solidarity_cache_table")
        # After every flush too, so an emptied database keeps the roles and the Member States.
        post_migrate.connect(_seed_roles_and_member_states, sender=self, dispatch_uid="solidarity_seed")
        # The log-in signal that keeps the second-factor facts in the session (read by its middleware).
        from solidarity.accounts import security  # noqa: F401
