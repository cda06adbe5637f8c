"""The front-desk lookup screen and the managers' duplicates screen (server-rendered + htmx)."""

from __future__ import annotations

import pytest

from crm import services
from crm.models import Customer, Merge
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_typing_returns_only_the_results_partial(desk, organization):
    CustomerFactory(
        organization=organization,
        given_name="Wei",
        family_name="Zhang",
        native_name="张伟",
        phone="+86 138 0013 8000",
        email="zhang.wei@example.cn",
    )
    page = desk.get("/", {"q": "zhang wei"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in page and 'class="results"' in page
    assert "张伟" in page and "Zhāng Wěi" in page  # the pronunciation beside the name
    assert "…8000" in page and "z•••@example.cn" in page  # masked, enough to tell namesakes apart
    assert "13800138000" not in page and "zhang.wei@" not in page


def test_without_javascript_the_form_returns_the_whole_page(desk, organization):
    CustomerFactory(organization=organization, given_name="Siobhán", family_name="O'Connor", pronunciation="shiv-AWN")
    page = desk.get("/", {"q": "oconnor"}).content.decode()
    assert "<html" in page and "Siobhán O&#x27;Connor" in page
    assert "shiv-AWN" in page and 'data-say="shiv-AWN"' in page


def test_say_it_reads_a_han_name_in_chinese(desk, organization):
    customer = CustomerFactory(organization=organization, native_name="曾志伟", language="zh-hans")
    page = desk.get(f"/customers/{customer.pk}/").content.decode()
    assert "Zēng Zhìwěi" in page and 'data-say="曾志伟"' in page and 'data-lang="zh-CN"' in page


def test_front_desk_cannot_open_the_duplicates_screen(desk):
    assert desk.get("/duplicates/").status_code == 403
    assert desk.post("/duplicates/merge/", {"kept": 1, "duplicate": 2}).status_code == 403


def test_manager_merges_from_the_screen_and_undoes_it(boss, organization):
    kept = CustomerFactory(organization=organization, given_name="Robert", family_name="Johnson", email="b@x.com")
    dup = CustomerFactory(organization=organization, given_name="Bob", family_name="Johnson", email="b@x.com")
    page = boss.get("/duplicates/").content.decode()
    assert "Robert Johnson" in page and "Bob Johnson" in page and "same email" in page

    data = {"kept": kept.pk, "duplicate": dup.pk, "confirm": "on"}
    response = boss.post("/duplicates/merge/", data, follow=True)
    assert "was merged into" in response.content.decode()
    assert Customer.objects.get(pk=dup.pk).merged_into_id == kept.pk

    merge = Merge.objects.get()
    response = boss.post(f"/merges/{merge.pk}/undo/", follow=True)
    assert "is back" in response.content.decode()
    assert Customer.objects.get(pk=dup.pk).merged_into_id is None
    response = boss.post(f"/merges/{merge.pk}/undo/", follow=True)
    assert "already been undone" in response.content.decode()


def test_merging_into_itself_from_the_screen_shows_an_error(boss, organization):
    customer = CustomerFactory(organization=organization)
    response = boss.post("/duplicates/merge/", {"kept": customer.pk, "duplicate": customer.pk}, follow=True)
    assert "cannot be merged into itself" in response.content.decode()


def test_another_organizations_customers_cannot_be_merged_from_the_screen(boss, outsider):
    theirs = [CustomerFactory(organization=outsider.organization) for _ in range(2)]
    response = boss.post("/duplicates/merge/", {"kept": theirs[0].pk, "duplicate": theirs[1].pk})
    assert response.status_code == 404
    assert not Merge.objects.exists()
    services.customer_merge(kept=theirs[0], duplicate=theirs[1])
    assert boss.post(f"/merges/{Merge.objects.get().pk}/undo/").status_code == 404
