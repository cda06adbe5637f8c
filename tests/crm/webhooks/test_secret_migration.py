"""Migration crm 0021 on an existing endpoint: its plaintext secret becomes a token the field keys open (and back);
without keys it stops, naming RAPPORT_FIELD_KEYS, rather than encrypt with a key the service would not have."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from crm.webhooks import signing

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("crm", "0021_searchterm_customer_term")]
AFTER = [("crm", "0022_webhook_secret_encrypted")]


@pytest.fixture
def before_0021(migrate):
    """The database as it was at crm 0020, with one endpoint holding its secret in plaintext; back to the latest
    schema afterwards, whatever happened."""
    apps = migrate(BEFORE)
    organization = apps.get_model("crm", "Organization").objects.create(name="Old Hotel Group")
    secret = signing.secret_new()
    endpoint = apps.get_model("crm", "WebhookEndpoint").objects.create(
        organization=organization, url="https://hooks.example.com/in", events=["issue.opened"], secret=secret
    )
    yield endpoint.pk, secret
    migrate(MigrationLoader(connection).graph.leaf_nodes())


def _row(pk: int, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM crm_webhookendpoint WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_an_existing_secret_is_encrypted_and_decrypted_back(before_0021, settings, migrate):
    pk, secret = before_0021
    # when the migration runs
    apps = migrate(AFTER)
    # then the row holds a token of the secret, under the first field key, and no plaintext
    stored = _row(pk, "secret_encrypted")
    assert secret not in stored and secret.removeprefix("whsec_") not in stored
    assert Fernet(settings.RAPPORT_FIELD_KEYS[0]).decrypt(stored).decode() == secret
    assert apps.get_model("crm", "WebhookEndpoint").objects.get(pk=pk).secret_encrypted == stored
    # and going back restores the plaintext column as it was
    migrate(BEFORE)
    assert _row(pk, "secret") == secret


def test_without_field_keys_it_stops_naming_the_setting(before_0021, settings, migrate):
    pk, secret = before_0021
    keys, settings.RAPPORT_FIELD_KEYS = settings.RAPPORT_FIELD_KEYS, []  # manage.py migrate with DEBUG off
    with pytest.raises(ImproperlyConfigured, match="RAPPORT_FIELD_KEYS is not set"):
        migrate(AFTER)
    settings.RAPPORT_FIELD_KEYS = keys  # for the fixture's migration back to the latest schema
    # and the endpoint still holds its secret (the migration rolled back whole)
    assert _row(pk, "secret") == secret
