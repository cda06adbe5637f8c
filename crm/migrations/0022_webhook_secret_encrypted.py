"""Webhook secrets encrypted at rest: each endpoint's ``secret`` becomes ``secret_encrypted``, a Fernet token under
the first key of RAPPORT_FIELD_KEYS (crm.encryption), and the plaintext column is dropped. Reversible: going back
decrypts them into ``secret`` again. With endpoints to convert, it needs RAPPORT_FIELD_KEYS set as the running
service has it (``manage.py migrate`` with DEBUG off has no development key: it stops, naming the setting)."""

from django.db import migrations, models

from crm import encryption


def encrypt_secrets(apps, schema_editor):
    endpoint_model = apps.get_model("crm", "WebhookEndpoint")
    for endpoint in endpoint_model.objects.only("pk", "secret").order_by("pk").iterator():
        endpoint_model.objects.filter(pk=endpoint.pk).update(secret_encrypted=encryption.encrypt(endpoint.secret))


def decrypt_secrets(apps, schema_editor):
    endpoint_model = apps.get_model("crm", "WebhookEndpoint")
    for endpoint in endpoint_model.objects.only("pk", "secret_encrypted").order_by("pk").iterator():
        endpoint_model.objects.filter(pk=endpoint.pk).update(secret=encryption.decrypt(endpoint.secret_encrypted))


class Migration(migrations.Migration):
    dependencies = [("crm", "0021_searchterm_customer_term")]

    operations = [
        migrations.AddField(
            model_name="webhookendpoint",
            name="secret_encrypted",
            field=models.TextField(default="", editable=False),
            preserve_default=False,
        ),
        migrations.RunPython(encrypt_secrets, decrypt_secrets),
        # A default before the column goes, so that going back can add it again to a table with rows.
        migrations.AlterField(
            model_name="webhookendpoint",
            name="secret",
            field=models.CharField(default="", editable=False, max_length=100),
        ),
        migrations.RemoveField(model_name="webhookendpoint", name="secret"),
    ]
