"""An import lets go of the guests' data it held once it can no longer be used (the nightly retention)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from crm.models import GuestImport, ImportRow, ImportStatus
from crm.services import imports
from crm.services.retention import import_rows_drop_expired
from tests.crm.imports.conftest import csv_bytes
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

ROWS = [["First name", "Last name", "Email"], ["Kay", "New", "kay@example.com"], ["Lu", "Wen", "lu@example.com"]]


def previewed(organization, manager):
    return imports.import_preview(
        organization=organization,
        actor=manager.user,
        file=io.BytesIO(csv_bytes(ROWS)),
        filename="guests.csv",
        property=manager.property,
    )


def test_an_applied_import_keeps_its_rows_for_undo_then_only_its_counts(organization, manager):
    upload = previewed(organization, manager)
    imports.import_apply(upload=upload, actor=manager.user)
    imports.import_run(import_id=upload.pk)
    # Within the 30 days of undo the rows stay: undo needs what each row changed.
    assert import_rows_drop_expired() == 0 and ImportRow.objects.filter(upload=upload).count() == 2
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        assert import_rows_drop_expired() == 2
    upload.refresh_from_db()
    assert (upload.status, upload.created) == (ImportStatus.APPLIED, 2)  # the summary stays
    assert not ImportRow.objects.filter(upload=upload).exists()


def test_a_preview_nobody_applied_goes_whole_after_a_week(organization, manager):
    upload = previewed(organization, manager)
    with time_machine.travel(timezone.now() + timedelta(days=6)):
        assert import_rows_drop_expired() == 0
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert import_rows_drop_expired() == 2
    assert not GuestImport.objects.filter(pk=upload.pk).exists()


def test_an_undone_import_lets_go_of_its_rows_at_once(organization, manager):
    # Kay is on file already: her row is an update, which undo restores and whose row stays until retention.
    CustomerFactory(organization=organization, given_name="Kay", family_name="Old", email="kay@example.com")
    upload = previewed(organization, manager)
    imports.import_apply(upload=upload, actor=manager.user)
    imports.import_run(import_id=upload.pk)
    imports.import_undo(upload=GuestImport.objects.get(pk=upload.pk), actor=manager.user)
    assert ImportRow.objects.filter(upload=upload).count() == 1  # Lu's went with the guest the import created
    assert import_rows_drop_expired() == 1
    assert not ImportRow.objects.filter(upload=upload).exists()
