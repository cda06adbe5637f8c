"""The guest list as a spreadsheet for managers (issue 13): CSV or Excel with the list's filters, every guest in
it in their access log, formulas written as text, front desk refused."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from crm import services
from crm.models import AccessRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def guests(organization, property_):
    return [
        services.customer_create(
            organization=organization, native_name="張偉", tags=["VIP"], phone="+886912345678", home_property=property_
        ),
        services.customer_create(organization=organization, given_name='=HYPERLINK("http://x")', tags=["runner"]),
        services.customer_create(organization=organization, given_name="Ana", email="ana@example.com"),
    ]


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads UTF-8 Chinese names only with the BOM
    return list(csv.reader(io.StringIO(text[1:])))


def test_a_manager_downloads_the_guest_list_as_csv_and_each_guest_knows(manager_api, manager, guests):
    response = manager_api.get("/api/v1/customers/download/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header, *body = csv_rows(response)
    assert header[:2] == ["id", "name"] and len(body) == 3
    by_name = {row[1]: row for row in body}
    assert by_name["張偉"][header.index("phone (E.164)")] == "'+886912345678"  # a "+" would start a formula
    assert by_name['\'=HYPERLINK("http://x")'][0] == str(guests[1].pk)
    for guest in guests:
        assert AccessRecord.objects.filter(customer_id=guest.pk, action="list_export", actor=manager.user).exists()


def test_the_filters_of_the_list_apply(manager_api, guests, property_):
    only_vip = csv_rows(manager_api.get("/api/v1/customers/download/", {"tag": "vip"}))
    assert [row[1] for row in only_vip[1:]] == ["張偉"]
    at_home = csv_rows(manager_api.get("/api/v1/customers/download/", {"property": property_.pk}))
    assert [row[1] for row in at_home[1:]] == ["張偉"]
    by_name = csv_rows(manager_api.get("/api/v1/customers/download/", {"q": "ana"}))
    assert [row[1] for row in by_name[1:]] == ["Ana"]
    assert AccessRecord.objects.filter(customer_id=guests[2].pk, action="list_export").count() == 1


def test_an_excel_file_holds_the_same_rows_with_formulas_as_text(manager_api, guests):
    response = manager_api.get("/api/v1/customers/download/", {"file": "xlsx"})
    assert response.status_code == 200 and response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][1] == "name" and len(values) == 4
    assert '\'=HYPERLINK("http://x")' in [row[1] for row in values]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_front_desk_and_bad_filters_are_refused(api, manager_api, other_property, guests):
    assert api.get("/api/v1/customers/download/").status_code == 403
    assert manager_api.get("/api/v1/customers/download/", {"file": "pdf"}).status_code == 400
    assert manager_api.get("/api/v1/customers/download/", {"property": other_property.pk}).status_code == 400


def test_another_organizations_guests_are_not_in_the_file(outsider_api, outsider, guests):
    outsider.role = "manager"
    outsider.save()
    rows = csv_rows(outsider_api.get("/api/v1/customers/download/"))
    assert rows[1:] == []


def test_a_manager_downloads_the_list_from_the_lookup_screen(boss, guests, property_):
    home = boss.get("/").content.decode()
    assert 'id="guest-list-download"' in home
    response = boss.get("/guests/download/", {"file": "csv", "tag": "VIP", "property": ""})
    assert response.status_code == 200
    assert [row[1] for row in csv_rows(response)[1:]] == ["張偉"]
    refused = boss.get("/guests/download/", {"file": "pdf"}, follow=True)
    assert "is not a valid choice" in refused.content.decode()


def test_front_desk_has_no_download(desk, guests):
    assert 'id="guest-list-download"' not in desk.get("/").content.decode()
    assert desk.get("/guests/download/").status_code == 403
