"""Preview, apply and undo of a guest list, calling the services (the worker's body run in the test)."""

from __future__ import annotations

import importlib
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import F

from crm import selectors, services
from crm.errors import Conflict
from crm.models import (
    ChangeRecord,
    Customer,
    ExternalId,
    ImportRow,
    ImportStatus,
    NameWord,
    Preference,
    RowOutcome,
    SearchTerm,
    TermKind,
)
from crm.partial_dates import PartialDate
from crm.services import imports
from crm.services.imports import apply as applying
from tests.crm.imports.conftest import EXCEL_ROWS, csv_bytes, xlsx_bytes
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_china(property_):
    property_.country = "CN"  # phones without +country are read as Chinese numbers
    property_.save()


def preview(organization, manager, data: bytes, **kwargs):
    return imports.import_preview(
        organization=organization,
        actor=manager.user,
        file=io.BytesIO(data),
        filename="guests.csv",
        property=manager.property,
        **kwargs,
    )


def apply(upload, manager):
    imports.import_apply(upload=upload, actor=manager.user)
    assert imports.import_run(import_id=upload.pk)
    upload.refresh_from_db()
    return upload


def test_a_chinese_list_previews_its_counts_and_the_bad_date_and_writes_no_guest(organization, manager, chinese_csv):
    upload = preview(organization, manager, chinese_csv)
    assert (upload.status, upload.rows, upload.to_create, upload.to_update, upload.unchanged) == (
        "previewed",
        3,
        2,
        0,
        0,
    )
    assert upload.errors == [{"row": 3, "column": "生日", "message": upload.errors[0]["message"]}]
    assert "1990-02-30" in upload.errors[0]["message"]
    assert upload.columns == {
        "姓名": "full_name",
        "手机": "phone",
        "邮箱": "email",
        "生日": "birthday",
        "过敏": "preference:allergy",
    }
    assert not Customer.objects.filter(organization=organization).exists()


def test_applying_creates_the_guests_findable_by_lookup_with_provenance(organization, manager, chinese_csv):
    upload = apply(preview(organization, manager, chinese_csv), manager)
    assert (upload.status, upload.done_rows, upload.created, upload.updated) == ("applied", 3, 2, 0)
    zhang = selectors.customer_lookup(organization=organization, q="zhang wei")[0]
    assert (zhang.native_name, zhang.phone, str(zhang.birthday)) == ("张伟", "+8613800138000", "1985-03-14")
    assert zhang.home_property == manager.property
    allergy = Preference.objects.get(customer=zhang)
    assert (allergy.category, allergy.text, allergy.polarity, allergy.source) == (
        "allergy",
        "花生",
        "avoid",
        "imported",
    )
    assert allergy.safety_critical
    record = ChangeRecord.objects.get(action="customer.import", customer_id=zhang.pk)
    assert record.changes["import"] == upload.pk
    assert not Customer.objects.filter(native_name="李娜").exists()  # the bad row was skipped
    assert ImportRow.objects.get(upload=upload, number=3).outcome == RowOutcome.SKIPPED


def test_the_same_file_applied_twice_creates_nothing_the_second_time(organization, manager, chinese_csv):
    apply(preview(organization, manager, chinese_csv), manager)
    again = preview(organization, manager, chinese_csv)
    assert (again.to_create, again.to_update, again.unchanged) == (0, 0, 2)
    again = apply(again, manager)
    assert (again.created, again.updated) == (0, 0)
    assert Customer.objects.filter(organization=organization).count() == 2
    assert Preference.objects.count() == 1


def test_ids_written_with_braces_commas_quotes_and_backslashes_match_again(organization, manager):
    # Given a PMS whose ids hold what an array literal is made of (the matching sends each batch's keys as one
    # array on PostgreSQL), when its list is imported twice, then the second import finds every guest again.
    rows = [
        ["Guest ID", "Name"],
        ["{A,1}", "Ann Lee"],
        ['B "2"', "Bo Chen"],
        ["C\\3", "Cy Wong"],
    ]
    apply(preview(organization, manager, csv_bytes(rows, delimiter="\t"), system="opera"), manager)
    again = preview(organization, manager, csv_bytes(rows, delimiter="\t"), system="opera")
    assert (again.to_create, again.unchanged, again.error_rows) == (0, 3, 0), again.errors
    assert sorted(ExternalId.objects.values_list("value", flat=True)) == ['B "2"', "C\\3", "{A,1}"]


def test_a_guest_without_a_language_is_written_to_in_the_script_of_their_name(organization, manager, property_):
    # Given a list with names and no language column, at a hotel in Taiwan,
    property_.country = "TW"
    property_.save()
    rows = [["姓名", "Email"], ["陳靜", "chen@example.tw"], ["刘洋", "liu@example.cn"], ["王明", "wang@example.tw"]]
    rows += [["김지호", "kim@example.kr"], ["Ann Lee", "ann@example.com"]]
    # when it is applied,
    apply(preview(organization, manager, csv_bytes(rows)), manager)
    # each guest gets the language their name is written in: Traditional, Simplified, the hotel's country's for a
    # name the same in both scripts, Korean, and English for a Latin name;
    language = dict(Customer.objects.filter(organization=organization).values_list("email", "language"))
    assert language == {
        "chen@example.tw": "zh-hant",
        "liu@example.cn": "zh-hans",
        "wang@example.tw": "zh-hant",
        "kim@example.kr": "ko",
        "ann@example.com": "en",
    }
    # so 陳靜's texts go in Traditional Chinese, and her change record says where the language came from.
    chen = Customer.objects.get(email="chen@example.tw")
    assert chen.message_language() == "zh-hant"
    record = ChangeRecord.objects.get(action="customer.import", customer_id=chen.pk)
    assert record.changes["language"] == {"new": "zh-hant"}


def test_a_language_column_or_a_matched_guests_own_language_wins_over_the_script(organization, manager):
    # Given a guest on file who reads English, and a list naming her in Han characters without a language,
    known = CustomerFactory(organization=organization, given_name="Jing", family_name="Chen", email="jing@example.cn")
    rows = [["姓名", "Email", "语言"], ["陈静", "jing@example.cn", ""], ["张伟", "zhang@example.cn", "English"]]
    apply(preview(organization, manager, csv_bytes(rows)), manager)
    # the matched guest keeps her language, and a row whose language column says English is English.
    known.refresh_from_db()
    assert known.language == "en"
    assert Customer.objects.get(email="zhang@example.cn").language == "en"


def test_matching_in_order_id_email_phone_name_and_birthday(organization, manager):
    by_id = CustomerFactory(organization=organization, given_name="Ann", family_name="Id", email="")
    ExternalId.objects.create(organization=organization, customer=by_id, system="opera", value="G-1")
    by_email = CustomerFactory(organization=organization, given_name="Bo", family_name="Mail", email="Bo@Example.com")
    by_phone = CustomerFactory(
        organization=organization, given_name="Cy", family_name="Phone", email="", phone="+14155550123"
    )
    by_name = CustomerFactory(
        organization=organization, given_name="Di", family_name="Name", email="", birthday=PartialDate(1, 2, 1980)
    )
    rows = [
        ["Guest ID", "First name", "Last name", "Email", "Phone", "Birthday", "Tags"],
        ["G-1", "Ann", "Id", "", "", "", "vip"],
        ["", "Bo", "Mail", "bo@example.com", "", "", "vip"],
        ["", "Cy", "Phone", "", "+1 (415) 555-0123", "", "vip"],
        ["", "Di", "Name", "", "", "1980-01-02", "vip"],
        ["", "Di", "Name", "", "", "1981-01-02", ""],  # the same name, another birthday: a new guest
    ]
    upload = preview(organization, manager, csv_bytes(rows), system="opera")
    assert (upload.to_create, upload.to_update, upload.error_rows) == (1, 4, 0), upload.errors
    upload = apply(upload, manager)
    for guest in (by_id, by_email, by_phone, by_name):
        guest.refresh_from_db()
        assert guest.tags == ["vip"]


def test_a_birthday_corrected_since_is_matched_on_its_new_day(organization, manager):
    # Given 李娜 entered born on 2 January, then corrected to 3 January
    guest = CustomerFactory(organization=organization, native_name="李娜", email="", birthday=PartialDate(1, 2, 1990))
    services.customer_update(customer=guest, actor=manager.user, birthday=PartialDate(1, 3, 1990))
    # When a list names 李娜 born on each day
    rows = [["姓名", "生日", "标签"], ["李娜", "1990-01-03", "vip"], ["李娜", "1990-01-02", ""]]
    upload = apply(preview(organization, manager, csv_bytes(rows)), manager)
    # Then the corrected day is the guest, the old one a new guest
    outcomes = ImportRow.objects.filter(upload=upload).order_by("number").values_list("outcome", "customer_id")
    assert list(outcomes) == [("updated", guest.pk), ("created", outcomes[1][1])]
    assert outcomes[1][1] != guest.pk


def test_migration_0030_writes_the_name_and_birthday_terms_the_writers_write(organization):
    # Given guests with and without birthdays, names in several scripts, whose terms the product wrote
    for native, given, family, birthday in (
        ("张伟", "", "", PartialDate(3, 14, 1985)),
        ("", "Mary Anne", "O'Brien", PartialDate(12, 31)),
        ("吕欣", "Xin", "Lu", PartialDate(2, 29)),
        ("王芳", "", "", None),
    ):
        CustomerFactory(
            organization=organization, native_name=native, given_name=given, family_name=family, birthday=birthday
        )
    written = set(
        SearchTerm.objects.filter(kind=TermKind.NAME_BIRTHDAY).values_list("customer_id", "term", "last_seen")
    )
    assert {term for _, term, _ in written} >= {"=3-14 张伟", "=3-14 zhangwei", "=12-31 maryanneobrien", "=2-29 吕欣"}
    # When they are deleted and the migration's SQL writes them again
    SearchTerm.objects.filter(kind=TermKind.NAME_BIRTHDAY).delete()
    backfill = importlib.import_module("crm.migrations.0030_name_birthday_terms").BACKFILL
    with connection.cursor() as cursor:
        cursor.execute(backfill)
    # Then they are the same rows
    assert (
        set(SearchTerm.objects.filter(kind=TermKind.NAME_BIRTHDAY).values_list("customer_id", "term", "last_seen"))
        == written
    )


def test_a_batch_applied_by_another_run_meanwhile_is_not_applied_again(organization, manager, monkeypatch):
    # Given a run applying a list in batches of two rows
    monkeypatch.setattr(applying, "BATCH", 2)
    rows = [["Name", "Email"], *[[f"Guest {i}", f"g{i}@example.com"] for i in range(5)]]
    upload = preview(organization, manager, csv_bytes(rows))
    imports.import_apply(upload=upload, actor=manager.user)
    original = applying._apply_batch
    calls = []

    def and_another_run(upload_, rows_):
        original(upload_, rows_)
        calls.append(1)
        if len(calls) == 1:
            # when another run (a redelivered task, waiting on the lock) applies the second batch before this
            # run takes it up again
            second = list(ImportRow.objects.filter(upload=upload, outcome="").order_by("number")[:2])
            original(upload_, applying._prepare(upload_, [(r.pk, r.number, r.plan, r.data, r.errors) for r in second]))

    monkeypatch.setattr(applying, "_apply_batch", and_another_run)
    assert imports.import_run(import_id=upload.pk)
    # then this run applies the rows after it: every row once
    assert Customer.objects.filter(organization=organization).count() == 5
    assert list(ImportRow.objects.filter(upload=upload).values_list("outcome", flat=True).distinct()) == ["created"]


def test_a_row_matching_two_guests_is_reported_never_merged(organization, manager):
    CustomerFactory(organization=organization, email="twin@example.com")
    CustomerFactory(organization=organization, email="twin@example.com")
    upload = preview(organization, manager, csv_bytes([["Name", "Email"], ["Twin Guest", "twin@example.com"]]))
    assert upload.error_rows == 1
    assert "matches 2 guests" in upload.errors[0]["message"]
    apply(upload, manager)
    assert Customer.objects.filter(email="twin@example.com").count() == 2


def test_the_same_guest_twice_in_one_file_is_reported(organization, manager):
    rows = [["Name", "Email"], ["Ann Lee", "ann@example.com"], ["Ann Lee", "ANN@example.com"]]
    upload = preview(organization, manager, csv_bytes(rows))
    assert upload.to_create == 1
    assert upload.errors[0]["row"] == 3 and "row 2" in upload.errors[0]["message"]


def test_bad_cells_are_each_rows_errors_with_row_and_column(organization, manager):
    rows = [
        ["Name", "Email", "Phone"],
        ["Ok Guest", "ok@example.com", "+14155550100"],
        ["Bad Mail", "not-an-email", ""],
        ["Bad Phone", "", "12"],
        ["Bell\x07Guest", "", ""],
    ]
    upload = preview(organization, manager, csv_bytes(rows))
    assert [(e["row"], e["column"]) for e in upload.errors] == [(3, "Email"), (4, "Phone"), (5, "Name")]
    assert (upload.to_create, upload.error_rows) == (1, 3)


def test_unrecognized_columns_are_listed_with_samples_and_mapped_by_the_mapping(organization, manager):
    rows = [["Name", "Zimmerwunsch"], ["Ann Lee", "high floor"]]
    upload = preview(organization, manager, csv_bytes(rows))
    assert upload.unmapped == [{"column": "Zimmerwunsch", "samples": ["high floor"]}]
    upload = apply(
        preview(organization, manager, csv_bytes(rows), mapping={"Zimmerwunsch": "preference:room"}), manager
    )
    assert Preference.objects.get().text == "high floor"


@pytest.mark.parametrize(
    ("rows", "message"),
    [([["Email"], ["a@example.com"]], "No column holds a name"), ([["Name"]], None)],
)
def test_a_file_without_a_name_column_is_refused(organization, manager, rows, message):
    if message is None:
        upload = preview(organization, manager, csv_bytes(rows))
        assert upload.rows == 0
        return
    with pytest.raises(ValidationError, match=message):
        preview(organization, manager, csv_bytes(rows))


def test_an_excel_file_with_date_cells(organization, manager):
    upload = apply(preview(organization, manager, xlsx_bytes(EXCEL_ROWS)), manager)
    guest = Customer.objects.get(email="siobhan@example.ie")
    assert (str(guest.birthday), guest.phone, upload.created) == ("1988-07-01", "+8613800138000", 1)


def test_ambiguous_dates_follow_the_files_other_rows(organization, manager):
    rows = [["Name", "Birthday"], ["Ann Lee", "05/06/1985"], ["Bo Lee", "25/12/1990"]]
    apply(preview(organization, manager, csv_bytes(rows)), manager)
    assert str(Customer.objects.get(given_name="Ann").birthday) == "1985-06-05"


def test_undo_removes_the_created_restores_the_updated_and_reports_edited_since(organization, manager):
    kept = CustomerFactory(
        organization=organization, given_name="Kay", family_name="Old", email="kay@example.com", phone=""
    )
    edited = CustomerFactory(
        organization=organization, given_name="Ed", family_name="Old", email="ed@example.com", phone=""
    )
    rows = [
        ["First name", "Last name", "Email", "Phone", "Tags"],
        ["Kay", "New", "kay@example.com", "+14155550111", "vip"],
        ["Ed", "New", "ed@example.com", "", ""],
        ["Fresh", "Guest", "fresh@example.com", "", ""],
    ]
    upload = apply(preview(organization, manager, csv_bytes(rows)), manager)
    assert (upload.created, upload.updated) == (1, 2)
    # the vocabulary of name words (the typo stage's) followed the list: a new guest, two renamed (guest → gust:
    # the umlaut digraph folded, as the search terms fold it)
    assert _vocabulary(organization) == {"kay": 1, "ed": 1, "new": 2, "fresh": 1, "guest": 1, "gust": 1}
    services.customer_update(customer=Customer.objects.get(pk=edited.pk), family_name="Edited")
    upload = imports.import_undo(upload=upload, actor=manager.user)
    # and the undo: the created guest's words gone, Kay back to Old, Ed as staff edited him since
    assert _vocabulary(organization) == {"kay": 1, "ed": 1, "old": 1, "edited": 1}
    assert upload.status == ImportStatus.UNDONE
    kept.refresh_from_db()
    edited.refresh_from_db()
    assert (kept.family_name, kept.phone, kept.tags) == ("Old", "", [])
    assert edited.family_name == "Edited"
    assert upload.undo_report == [{"row": 3, "customer": edited.pk, "field": "family_name"}]
    assert not Customer.objects.filter(email="fresh@example.com").exists()
    assert selectors.customer_lookup(organization=organization, q="New") == []
    with pytest.raises(Conflict):
        imports.import_undo(upload=upload, actor=manager.user)


def _vocabulary(organization) -> dict[str, int]:
    words = NameWord.objects.filter(organization=organization, key=F("word"))
    return dict(words.values_list("word", "guests"))


def test_an_import_applies_only_once(organization, manager, chinese_csv):
    upload = apply(preview(organization, manager, chinese_csv), manager)
    with pytest.raises(Conflict):
        imports.import_apply(upload=upload, actor=manager.user)


def test_a_run_continues_after_the_last_committed_batch(organization, manager, monkeypatch):
    monkeypatch.setattr(applying, "BATCH", 2)  # the apply's batches: two rows each
    rows = [["Name", "Email"], *[[f"Guest {i}", f"g{i}@example.com"] for i in range(5)]]
    upload = preview(organization, manager, csv_bytes(rows))
    imports.import_apply(upload=upload, actor=manager.user)
    # Given a run that died after its first batch (the rows of that batch marked done with it)
    with pytest.raises(RuntimeError), monkeypatch.context() as patched:
        calls = []

        def fail_second(upload_, rows_):
            calls.append(1)
            if len(calls) == 2:
                raise RuntimeError("killed")
            return original(upload_, rows_)

        original = applying._apply_batch
        patched.setattr(applying, "_apply_batch", fail_second)
        imports.import_run(import_id=upload.pk)
    upload.refresh_from_db()
    assert upload.done_rows == 2
    assert [row.outcome for row in ImportRow.objects.filter(upload=upload).order_by("number")] == ["created"] * 2 + [
        ""
    ] * 3
    # when it runs again, it continues: every row once
    assert imports.import_run(import_id=upload.pk)
    upload.refresh_from_db()
    assert (upload.done_rows, upload.created) == (5, 5)
    assert Customer.objects.filter(organization=organization).count() == 5


def test_a_guest_created_by_one_batch_is_matched_by_the_next(organization, manager, monkeypatch):
    # What any overlap of the apply's batches must keep (docs/benchmarks.md, "Guest-list import"): a batch is
    # matched after the batch before it committed, and sees the guests that batch created.
    monkeypatch.setattr(applying, "BATCH", 2)  # the apply's batches: two rows each
    # Given 张伟 born 1985-03-04 last in the first batch and 张伟 born on 3 March, year unsaid, first in the second:
    # the same guest, which the preview cannot tell (neither exists yet, and their keys differ by the year)
    rows = [["姓名", "生日"], ["李娜", ""], ["张伟", "1985-03-04"], ["张伟", "3月4日"], ["王芳", ""]]
    upload = preview(organization, manager, csv_bytes(rows))
    assert (upload.to_create, upload.error_rows) == (4, 0)
    # when it is applied
    upload = apply(upload, manager)
    # then the second row finds the guest the first created instead of making them twice
    zhang = Customer.objects.get(organization=organization, native_name="张伟")
    outcomes = ImportRow.objects.filter(upload=upload).order_by("number").values_list("outcome", "customer_id")
    assert [outcome for outcome, _id in outcomes] == ["created", "created", "updated", "created"]
    assert list(outcomes)[2][1] == zhang.pk
    assert (upload.created, upload.updated) == (3, 1)
    assert Customer.objects.filter(organization=organization).count() == 3


def test_erasing_a_guest_removes_the_import_rows_holding_their_data(organization, manager):
    rows = [["First name", "Last name", "Email"], ["Kay", "New", "kay@example.com"]]
    kay = CustomerFactory(organization=organization, given_name="Kay", family_name="Old", email="kay@example.com")
    upload = apply(preview(organization, manager, csv_bytes(rows)), manager)
    row = ImportRow.objects.get(upload=upload)
    assert row.before == {"family_name": "Old"} and row.customer_id == kay.pk
    summary = services.customer_erase(customer=kay, actor=manager.user)
    assert not ImportRow.objects.filter(pk=row.pk).exists()
    assert summary["deleted"]["crm.importrow"] == 1


def test_the_export_of_a_guest_holds_their_import_rows(organization, manager):
    rows = [["First name", "Last name", "Email"], ["Kay", "New", "kay@example.com"]]
    kay = CustomerFactory(organization=organization, given_name="Kay", family_name="Old", email="kay@example.com")
    apply(preview(organization, manager, csv_bytes(rows)), manager)
    held = selectors.customer_export(customer=kay)
    assert held["import_rows"][0]["before"] == {"family_name": "Old"}


def test_an_import_tells_the_other_systems_of_each_guest_it_creates_or_changes(organization, manager, settings):
    # Given an endpoint for customer events, and Kay on file already,
    from crm.webhooks import services as webhooks

    settings.RAPPORT_WEBHOOKS_ALLOW_PRIVATE = True
    kay = CustomerFactory(organization=organization, given_name="Kay", family_name="Old", email="kay@example.com")
    endpoint = webhooks.webhook_endpoint_create(
        organization=organization, url="http://127.0.0.1/h", events=["customer.created", "customer.updated"]
    )
    rows = [
        ["First name", "Last name", "Email"],
        ["Kay", "New", "kay@example.com"],
        ["Lu", "Wen", "lu@example.com"],
    ]
    # when the list is applied, one event per guest goes out: ids and the names of the fields changed only.
    apply(preview(organization, manager, csv_bytes(rows)), manager)
    events = [(d.event_type, d.payload["data"]) for d in endpoint.deliveries.order_by("pk")]
    lu = Customer.objects.get(email="lu@example.com")
    assert [(kind, data["id"]) for kind, data in events] == [("customer.created", lu.pk), ("customer.updated", kay.pk)]
    assert events[1][1]["changed"] == ["family_name"]
    assert "Wen" not in str(events) and "New" not in str(events)
