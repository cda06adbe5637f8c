"""The managers' imports screen: upload with columns shown as the file is chosen, the preview, Apply, the progress
partial, Undo; front desk 403, another organization's import 404."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.models import Customer, GuestImport
from crm.services import imports
from tests.crm.imports.conftest import csv_bytes

pytestmark = pytest.mark.django_db
ROWS = [["Gast", "Email", "Geburtstag"], ["Ann Lee", "ann@example.com", "1985-02-30"], ["Bo Lee", "bo@example.com", ""]]


def test_choosing_a_file_shows_its_columns_with_samples_and_what_they_are_read_as(boss):
    answer = boss.post(reverse("crm:import-columns"), {"file": SimpleUploadedFile("g.csv", csv_bytes(ROWS))})
    page = answer.content.decode()
    assert answer.status_code == 200
    assert "Ann Lee · Bo Lee" in page and "No column is recognized as a name" in page
    assert '<option value="email" selected>' in page


def test_upload_with_a_mapping_previews_then_applies_and_undoes(boss, manager, django_capture_on_commit_callbacks):
    posted = {
        "file": SimpleUploadedFile("g.csv", csv_bytes(ROWS)),
        "column": ["Gast", "Email", "Geburtstag"],
        "target": ["full_name", "", "birthday"],
    }
    answer = boss.post(reverse("crm:imports"), posted)
    upload = GuestImport.objects.get()
    assert answer.status_code == 302 and answer["Location"] == reverse("crm:import", args=[upload.pk])
    page = boss.get(answer["Location"]).content.decode()
    assert "1985-02-30" in page and 'id="count-create">1<' in page
    with django_capture_on_commit_callbacks(execute=False):
        boss.post(reverse("crm:import-apply", args=[upload.pk]))
    progress = boss.get(reverse("crm:import-progress", args=[upload.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in progress  # polling while it applies
    imports.import_run(import_id=upload.pk)
    progress = boss.get(reverse("crm:import-progress", args=[upload.pk])).content.decode()
    assert "hx-trigger" not in progress and 'value="2"' in progress
    assert Customer.objects.filter(email="bo@example.com").exists()
    boss.post(reverse("crm:import-undo", args=[upload.pk]))
    assert not Customer.objects.exists()
    assert "Undone" in boss.get(reverse("crm:imports")).content.decode()


def test_a_file_without_a_name_is_refused_on_the_form(boss):
    answer = boss.post(
        reverse("crm:imports"), {"file": SimpleUploadedFile("g.csv", csv_bytes([["Email"], ["a@b.co"]]))}
    )
    assert answer.status_code == 400 and "No column holds a name" in answer.content.decode()


def test_front_desk_is_403(desk):
    assert desk.get(reverse("crm:imports")).status_code == 403
    assert desk.post(reverse("crm:import-columns")).status_code == 403


def test_another_organizations_import_is_404(boss, outsider):
    theirs = imports.import_preview(
        organization=outsider.organization,
        actor=outsider.user,
        file=io.BytesIO(csv_bytes(ROWS[:2])),
        mapping={"Gast": "full_name"},
    )
    for name in ("crm:import", "crm:import-progress"):
        assert boss.get(reverse(name, args=[theirs.pk])).status_code == 404
    for name in ("crm:import-apply", "crm:import-undo"):
        assert boss.post(reverse(name, args=[theirs.pk])).status_code == 404
