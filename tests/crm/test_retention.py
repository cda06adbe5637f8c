"""Retention: guests without a contact for the organization's period are anonymized every night."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from crm import services
from crm.models import AccessRecord, ChangeRecord, Customer, Organization
from crm.services.retention import access_records_drop_old
from crm.signals import customer_erasing
from crm.tasks import apply_retention
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def guests(organization, property_):
    """Three guests: seen 25 months ago, seen 2 months ago, and never seen but created 30 months ago."""
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=30 * 30)):
        silent = CustomerFactory(organization=organization, given_name="Long", family_name="Gone")
        old = CustomerFactory(organization=organization, given_name="Once", family_name="Upon")
        services.contact_log(customer=old, property=property_, kind="visit", occurred_at=now - timedelta(days=25 * 30))
    recent = CustomerFactory(organization=organization, given_name="Still", family_name="Here")
    services.contact_log(customer=recent, property=property_, kind="visit", occurred_at=now - timedelta(days=60))
    return silent, old, recent


def test_the_setting_is_validated(organization):
    for months in (0, 1201):
        organization.anonymize_after_months = months
        with pytest.raises(ValidationError) as refused:
            organization.full_clean()
        assert "anonymize_after_months" in refused.value.message_dict
    # and the database refuses it too, whatever writes it.
    with pytest.raises(IntegrityError), transaction.atomic():
        Organization.objects.filter(pk=organization.pk).update(anonymize_after_months=0)
    organization.anonymize_after_months = None
    organization.full_clean()


def test_nothing_is_anonymized_without_a_setting(organization, guests):
    assert apply_retention() == {
        "anonymized": 0,
        "failed": 0,
        "access_records_dropped": 0,
        "import_rows_dropped": 0,
    }
    assert Customer.objects.count() == 3


def test_the_nightly_task_anonymizes_the_guests_past_the_period_through_the_erase(organization, guests):
    silent, old, recent = guests
    Organization.objects.filter(pk=organization.pk).update(anonymize_after_months=24)

    result = apply_retention()

    assert result["anonymized"] == 2 and result["failed"] == 0
    assert list(Customer.objects.all()) == [recent]
    # through customer_erase: the history keeps who (nobody: the system) erased which id, scrubbed,
    erased = ChangeRecord.objects.filter(action="customer.erase", actor=None)
    assert set(erased.values_list("target_id", flat=True)) == {silent.pk, old.pk}
    assert ChangeRecord.objects.get(action="customer.create", target_id=old.pk).changes == {}
    assert set(AccessRecord.objects.filter(action="erase").values_list("channel", flat=True)) == {"system"}
    # and a second night finds nothing more.
    assert apply_retention()["anonymized"] == 0


def test_one_guest_that_cannot_be_erased_does_not_stop_the_batch(organization, guests, caplog):
    silent, old, recent = guests
    Organization.objects.filter(pk=organization.pk).update(anonymize_after_months=24)

    def refuse_one(customer, **kwargs):
        if customer.pk == silent.pk:
            raise RuntimeError("storage unreachable")

    customer_erasing.connect(refuse_one, dispatch_uid="test.refuse_one")
    try:
        result = apply_retention()
    finally:
        customer_erasing.disconnect(dispatch_uid="test.refuse_one")

    assert (result["anonymized"], result["failed"]) == (1, 1)
    assert set(Customer.objects.values_list("pk", flat=True)) == {silent.pk, recent.pk}
    assert f"guest #{silent.pk}" in caplog.text


def test_managers_see_how_many_the_next_run_will_anonymize(client, manager, frontdesk, organization, guests):
    client.force_login(manager.user)
    assert "kept until erased by hand" in client.get("/").content.decode()
    Organization.objects.filter(pk=organization.pk).update(anonymize_after_months=24)
    page = client.get("/").content.decode()
    assert "guests without a contact for 24 months are anonymized every night" in page
    assert "the next run will anonymize 2 guests." in page
    # in their language,
    manager.language = "zh-hant"
    manager.save()
    assert "下次執行將匿名化 2 位客人" in client.get("/").content.decode()
    # and front desk does not see it.
    client.force_login(frontdesk.user)
    assert 'id="retention"' not in client.get("/").content.decode()


def test_old_access_records_are_dropped_in_bulk(customer, settings):
    settings.RAPPORT_ACCESS_LOG_KEEP_DAYS = 30
    with time_machine.travel(timezone.now() - timedelta(days=31)):
        for _ in range(3):
            services.access_record(
                organization_id=customer.organization_id,
                customer_id=customer.pk,
                actor=None,
                action="brief",
                channel="api",
            )
    services.access_record(
        organization_id=customer.organization_id, customer_id=customer.pk, actor=None, action="card", channel="screen"
    )
    assert access_records_drop_old() == 3
    assert list(AccessRecord.objects.values_list("action", flat=True)) == ["card"]


def test_the_task_is_in_the_nightly_schedule():
    entry = django_settings.CELERY_BEAT_SCHEDULE["apply-retention-nightly"]
    assert entry["task"] == "crm.apply_retention"
    assert apply_retention.name == "crm.apply_retention"


def test_a_manager_sets_the_period_in_the_admin_and_a_bad_one_is_refused_on_the_field(client, manager, organization):
    manager.user.is_staff = True
    manager.user.save()
    manager.user.groups.add(services.manager_group())
    client.force_login(manager.user)
    url = f"/admin/crm/organization/{organization.pk}/change/"
    refused = client.post(url, {"name": organization.name, "anonymize_after_months": "0"})
    assert refused.status_code == 200 and "anonymize_after_months" in refused.context["adminform"].form.errors
    assert client.post(url, {"name": organization.name, "anonymize_after_months": "36"}).status_code == 302
    organization.refresh_from_db()
    assert organization.anonymize_after_months == 36
