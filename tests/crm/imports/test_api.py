"""POST /api/v1/imports/ → preview; GET; apply (202); undo — managers only, another organization's a 404."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from crm.models import Customer
from crm.services import imports
from tests.crm.imports.conftest import CHINESE_ROWS, csv_bytes

pytestmark = pytest.mark.django_db
URL = "/api/v1/imports/"


def upload(client, data: bytes, name: str = "guests.csv", **extra):
    return client.post(URL, {"file": SimpleUploadedFile(name, data), **extra}, format="multipart")


@pytest.fixture(autouse=True)
def _in_china(property_):
    property_.country = "CN"
    property_.save()


def test_a_manager_previews_applies_polls_and_undoes(manager_api, chinese_csv, django_capture_on_commit_callbacks):
    answer = upload(manager_api, chinese_csv)
    assert answer.status_code == 201, answer.json()
    preview = answer.json()
    assert {k: preview[k] for k in ("status", "rows", "create", "update", "unchanged")} == {
        "status": "previewed",
        "rows": 3,
        "create": 2,
        "update": 0,
        "unchanged": 0,
    }
    assert [(e["row"], e["column"]) for e in preview["errors"]] == [(3, "生日")]
    with django_capture_on_commit_callbacks() as callbacks:
        applied = manager_api.post(f"{URL}{preview['id']}/apply/")
    assert applied.status_code == 202 and applied.json()["status"] == "applying"
    assert len(callbacks) == 1  # the task, enqueued after the commit
    imports.import_run(import_id=preview["id"])  # the worker's body
    status = manager_api.get(f"{URL}{preview['id']}/").json()
    assert (status["status"], status["done_rows"], status["created"]) == ("applied", 3, 2)
    assert manager_api.post(f"{URL}{preview['id']}/apply/").status_code == 409
    undone = manager_api.post(f"{URL}{preview['id']}/undo/")
    assert undone.status_code == 200 and undone.json()["status"] == "undone"
    assert not Customer.objects.exists()


def test_a_mapping_names_columns_the_service_does_not_know(manager_api):
    data = csv_bytes([["Gast", "Zimmer"], ["Ann Lee", "high floor"]])
    preview = upload(manager_api, data, mapping=json.dumps({"Gast": "full_name", "Zimmer": "preference:room"})).json()
    assert preview["columns"] == {"Gast": "full_name", "Zimmer": "preference:room"}
    assert preview["create"] == 1


@pytest.mark.parametrize(
    ("data", "extra", "field", "words"),
    [
        (b"", {}, "file", "empty"),
        (b"\x00\x01\x02\x03" * 500, {}, "file", "not a table"),
        (csv_bytes([["Email"], ["a@example.com"]]), {}, "file", "No column holds a name"),
        (csv_bytes(CHINESE_ROWS), {"mapping": "[" * 5000 + "]" * 5000}, "mapping", "not JSON"),
        (csv_bytes(CHINESE_ROWS), {"mapping": json.dumps({"姓名": "password"})}, "mapping", "unknown field"),
        (csv_bytes(CHINESE_ROWS), {"mapping": json.dumps({"Nope": "email"})}, "mapping", "no column"),
        (csv_bytes(CHINESE_ROWS), {"mapping": "x" * 30000}, "mapping", "too long"),
    ],
)
def test_bad_files_and_mappings_are_400_naming_the_problem(manager_api, data, extra, field, words):
    answer = upload(manager_api, data, **extra)
    assert answer.status_code == 400, answer.content
    assert words.lower() in " ".join(answer.json()[field]).lower()


def test_a_file_over_50_mb_is_refused(manager_api, monkeypatch):
    from crm.imports import parse

    monkeypatch.setattr(parse, "MAX_FILE_BYTES", 100)
    answer = upload(manager_api, csv_bytes([["Name"], *[["Guest"]] * 50]))
    assert answer.status_code == 400 and "50 MB" in answer.json()["file"][0]


def test_front_desk_may_not_import(api, chinese_csv):
    assert upload(api, chinese_csv).status_code == 403
    assert api.get(URL).status_code == 403


def test_another_organizations_import_is_404(manager_api, outsider, chinese_csv):
    from tests.conftest import _client_for

    preview = upload(manager_api, chinese_csv).json()
    other = _client_for(outsider)
    outsider.role = "manager"
    outsider.save()
    for answer in (
        other.get(f"{URL}{preview['id']}/"),
        other.post(f"{URL}{preview['id']}/apply/"),
        other.post(f"{URL}{preview['id']}/undo/"),
    ):
        assert answer.status_code == 404
    assert other.get(URL).json()["count"] == 0
