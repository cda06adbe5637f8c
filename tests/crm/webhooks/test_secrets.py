"""Webhook secrets encrypted at rest (crm.encryption, RAPPORT_FIELD_KEYS): the database holds no usable secret,
deliveries are still signed with it, keys rotate, and a value no key opens fails its deliveries with a reason."""

from __future__ import annotations

import base64
import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection

from crm import services as crm_services
from crm.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from crm.webhooks import delivery, services
from tests.crm.webhooks.conftest import send_claimed

pytestmark = pytest.mark.django_db

OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def _stored(endpoint: WebhookEndpoint) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret_encrypted FROM crm_webhookendpoint WHERE id = %s", [endpoint.pk])
        return cursor.fetchone()[0]


def _columns() -> list[str]:
    with connection.cursor() as cursor:
        return [column.name for column in connection.introspection.get_table_description(cursor, "crm_webhookendpoint")]


def test_the_database_holds_no_secret_and_deliveries_are_still_signed_with_it(endpoint, receiver, customer, settings):
    # Given an endpoint registered through the service (the secret shown once: endpoint.secret here)
    shown = endpoint.secret
    key = shown.removeprefix("whsec_")
    # then what a database dump reads is neither the secret nor its key, in any column of the table
    stored = _stored(endpoint)
    assert shown not in stored and key not in stored
    assert "secret" not in _columns()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM crm_webhookendpoint")
        assert not any(key in str(value) for row in cursor.fetchall() for value in row)
    # and it is a token that the first field key opens
    assert Fernet(settings.RAPPORT_FIELD_KEYS[0]).decrypt(stored).decode() == shown
    # when an issue is opened, the receiver verifies the delivery with the secret it was shown
    crm_services.issue_open(customer=customer, summary="x")
    assert send_claimed() == {"delivered": 1}
    assert receiver.received[0].verified


def test_a_new_first_key_keeps_old_secrets_working_until_they_are_reencrypted(
    organization, receiver, customer, allow_private, settings
):
    # Given an endpoint whose secret was encrypted under the old key
    settings.RAPPORT_FIELD_KEYS = [OLD_KEY]
    endpoint = services.webhook_endpoint_create(organization=organization, url=receiver.url, events=["issue.opened"])
    receiver.secret = endpoint.secret
    # when the operator puts a new key first and keeps the old one
    settings.RAPPORT_FIELD_KEYS = [NEW_KEY, OLD_KEY]
    # then its deliveries are still signed with its secret
    crm_services.issue_open(customer=customer, summary="x")
    assert send_claimed() == {"delivered": 1}
    assert receiver.received[-1].verified
    # and a new endpoint's secret is encrypted under the new key
    fresh = services.webhook_endpoint_create(organization=organization, url=receiver.url, events=["task.done"])
    assert Fernet(NEW_KEY).decrypt(_stored(fresh)).decode() == fresh.secret
    # when the old secrets are encrypted again under the new key, the old key can go
    call_command("reencrypt_secrets", stdout=io.StringIO())
    assert Fernet(NEW_KEY).decrypt(_stored(endpoint)).decode() == receiver.secret
    settings.RAPPORT_FIELD_KEYS = [NEW_KEY]
    crm_services.issue_open(customer=customer, summary="y")
    assert send_claimed() == {"delivered": 1}
    assert receiver.received[-1].verified


def _tamper(endpoint: WebhookEndpoint) -> None:
    token = bytearray(base64.urlsafe_b64decode(_stored(endpoint)))
    token[40] ^= 1  # one bit of the ciphertext
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(secret_encrypted=base64.urlsafe_b64encode(token).decode())


@pytest.mark.parametrize("how", ["altered", "key removed"])
def test_a_secret_no_key_opens_fails_its_deliveries_with_a_reason_and_the_batch_goes_on(
    how, endpoint, receiver, customer, organization, allow_private, settings
):
    # Given two endpoints, one whose stored secret was altered in the database (or whose key was removed)
    healthy = services.webhook_endpoint_create(organization=organization, url=receiver.url, events=["issue.opened"])
    receiver.secret = healthy.secret
    if how == "altered":
        _tamper(endpoint)
    else:
        settings.RAPPORT_FIELD_KEYS = [NEW_KEY]
        healthy.secret = receiver.secret
        healthy.save(update_fields=["secret_encrypted"])
    crm_services.issue_open(customer=customer, summary="x")
    # when one batch holds the deliveries of both
    rows = list(WebhookDelivery.objects.order_by("pk"))
    counts = delivery.webhooks_deliver(delivery_ids=[row.pk for row in rows], claim=rows[0].claim)
    # then the worker did not crash: the other endpoint got its event, signed
    assert counts == {"failed": 1, "delivered": 1}
    assert [item.verified for item in receiver.received] == [True]
    # and the broken one's delivery is failed at once (no retry can sign it), saying why, on its log
    broken = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (broken.status, broken.attempts) == (DeliveryStatus.FAILED, 1)
    assert "secret cannot be decrypted" in broken.error


def test_reencrypting_reports_the_secrets_no_key_opens(endpoint, settings):
    _tamper(endpoint)
    with pytest.raises(CommandError, match=rf"endpoints {endpoint.pk}\) cannot be decrypted"):
        call_command("reencrypt_secrets", stdout=io.StringIO())


def test_the_admin_never_shows_a_secret(client, endpoint, django_user_model):
    # Given the site's superuser in the admin
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "x-Long-pass-1"))
    # then no admin page lists webhook endpoints, and the index does not hold a secret
    assert client.get("/admin/crm/webhookendpoint/").status_code == 404
    answer = client.get("/admin/")
    assert answer.status_code == 200 and b"Customers" in answer.content  # the index, not a sign-in step
    index = answer.content.decode()
    assert endpoint.secret not in index and endpoint.secret.removeprefix("whsec_") not in index
