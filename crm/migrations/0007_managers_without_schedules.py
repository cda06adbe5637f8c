"""Managers' group made by an earlier version held every django-celery-beat permission: one organization's
manager could stop every organization's follow-ups. The schedules are the operator's (superuser's)."""

from django.db import migrations


def take_the_schedules_away(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Rapport managers").first()
    if group is not None:
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="django_celery_beat"))


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0006_single_line_text"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(take_the_schedules_away, migrations.RunPython.noop)]
