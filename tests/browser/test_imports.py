"""Issue 13's Done-when walk for imports: as the demo's manager, a GB18030 CSV with Chinese headers is previewed
(its bad date listed), applied with a progress bar that reaches done, a new guest found by lookup, the import
undone; axe-core on each screen."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from crm import tasks
from crm.models import Customer, GuestImport
from crm.services import imports
from tests.browser.axe import assert_accessible
from tests.browser.conftest import log_in
from tests.crm.imports.conftest import csv_bytes

# The live server and the test body each use their own connection: PostgreSQL.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROWS = [
    ["姓名", "手机", "邮箱", "生日", "过敏"],
    ["欧阳娜娜", "+86 138 0013 8777", "ouyang.nana@example.cn", "1988年5月6日", "芒果"],
    ["司马光", "+86 139 1234 5000", "sima@example.cn", "1990-02-30", ""],
]


@pytest.fixture
def demo(settings):
    settings.DEBUG = True  # the demo refuses to load otherwise
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_a_manager_imports_a_chinese_list_applies_finds_and_undoes(demo, page, monkeypatch):
    enqueued = []
    monkeypatch.setattr(tasks.import_apply, "delay", enqueued.append)  # the worker is the test body, below
    log_in(page, "manager", "rapport-demo")
    page.get_by_role("link", name="Import guests").click()
    page.wait_for_url("**/imports/")
    page.set_input_files(
        "#id_file",
        files=[{"name": "guests.csv", "mimeType": "text/csv", "buffer": csv_bytes(ROWS, encoding="gb18030")}],
    )
    # the columns as recognized, with samples, before anything is sent for good
    expect(page.locator("#columns")).to_contain_text("欧阳娜娜")
    assert_accessible(page, "imports: upload with columns")
    page.get_by_role("button", name="Preview").click()
    page.wait_for_url("**/imports/*/")
    expect(page.locator("#count-create")).to_have_text("1")
    expect(page.locator("#errors")).to_contain_text("1990-02-30")
    assert not Customer.objects.filter(native_name="欧阳娜娜").exists()  # a preview writes nothing
    assert_accessible(page, "imports: preview")

    page.locator("#apply").click()
    expect(page.locator("#import-status")).to_have_text("Applying")
    upload = GuestImport.objects.get(pk=enqueued[0])
    imports.import_run(import_id=upload.pk)  # the worker's body
    # the progress bar, polled, reaches done
    expect(page.locator("#import-status")).to_have_text("Applied", timeout=15_000)
    expect(page.locator("#import-bar")).to_have_attribute("value", "2")
    assert_accessible(page, "imports: applied")

    page.goto("/")
    page.locator("#q").press_sequentially("欧阳娜娜", delay=30)
    expect(page.locator("#results a.result").first).to_contain_text("欧阳娜娜")

    page.goto(f"/imports/{upload.pk}/")
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("#undo").click()
    expect(page.locator("#import-status")).to_have_text("Undone")
    assert not Customer.objects.filter(native_name="欧阳娜娜").exists()
    page.goto("/imports/")
    expect(page.locator("table").last).to_contain_text("Undone")
    assert_accessible(page, "imports: list")
