"""Creates the role groups (their names are a contract with API clients) and the Member States."""

from django.db import migrations

from solidarity.domain.seed import seed_roles_and_member_states


def create_roles_and_states(apps, schema_editor):
    seed_roles_and_member_states(apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("solidarity", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_roles_and_states, migrations.RunPython.noop)]
