"""Merge with care: both profiles side by side, a confirmation, and the merged-away card leading to the kept
one; friendly 403 and 404 pages in the staff's language (issue 12)."""

from __future__ import annotations

import pytest
from django.test import Client

from crm import services
from crm.models import Customer
from crm.partial_dates import PartialDate
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(organization):
    kept = CustomerFactory(
        organization=organization, given_name="Robert", family_name="Johnson", email="b@x.com", phone="", tags=["vip"]
    )
    dup = CustomerFactory(
        organization=organization,
        given_name="Bob",
        family_name="Johnson",
        email="b@x.com",
        phone="+14155550100",
        tags=["runner"],
        birthday=PartialDate(month=3, day=14),
    )
    services.preference_record(customer=dup, category="drink", text="Oat-milk flat white")
    services.contact_log(customer=dup, kind="visit")
    return kept, dup


def test_the_comparison_shows_what_wins_and_what_moves_before_anything_changes(boss, pair):
    kept, dup = pair
    # Given two likely duplicates, the duplicates screen leads to a comparison, not to a merge.
    listing = boss.get("/duplicates/").content.decode()
    assert f"/duplicates/merge/?kept={kept.pk}&amp;duplicate={dup.pk}" in listing
    assert "<form" not in listing.split("Recent merges")[0].split("Likely duplicates")[1]
    page = boss.get("/duplicates/merge/", {"kept": kept.pk, "duplicate": dup.pk})
    html = page.content.decode()
    assert page.status_code == 200
    # Side by side: the kept name wins, the empty phone and birthday are filled in, the tags combined,
    assert "Robert" in html and "Bob" in html
    assert 'data-winner="kept"' in html and "+14155550100" in html and "03-14" in html
    assert "vip, runner" in html and "(combined)" in html and "(filled in)" in html
    # what moves is counted,
    assert "Preferences: 1" in html and "Contacts: 1" in html
    # and nothing happened yet.
    assert Customer.objects.get(pk=dup.pk).merged_into_id is None


def test_a_merge_without_the_confirmation_is_refused_and_changes_nothing(boss, pair):
    kept, dup = pair
    response = boss.post("/duplicates/merge/", {"kept": kept.pk, "duplicate": dup.pk})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert Customer.objects.get(pk=dup.pk).merged_into_id is None


def test_the_confirmed_merge_opens_the_kept_card_and_the_old_url_leads_there(boss, pair):
    kept, dup = pair
    response = boss.post("/duplicates/merge/", {"kept": kept.pk, "duplicate": dup.pk, "confirm": "on"})
    assert response.status_code == 302 and response["Location"] == f"/customers/{kept.pk}/"
    # The merged-away profile's card URL (an old bookmark, a link in a mail) leads to the kept profile, saying so.
    old = boss.get(f"/customers/{dup.pk}/", follow=True)
    assert old.redirect_chain == [(f"/customers/{kept.pk}/", 302)]
    assert f"Profile #{dup.pk} (Bob Johnson) was merged into this one: Robert Johnson." in old.content.decode()


def test_another_organizations_merged_profile_is_still_a_404(boss, other_property):
    kept = CustomerFactory(organization=other_property.organization, given_name="A", email="a@x.com")
    dup = CustomerFactory(organization=other_property.organization, given_name="A", email="a@x.com")
    services.customer_merge(kept=kept, duplicate=dup)
    assert boss.get(f"/customers/{dup.pk}/").status_code == 404
    assert boss.get("/duplicates/merge/", {"kept": kept.pk, "duplicate": dup.pk}).status_code == 404


def test_bad_ids_on_the_comparison_are_a_404_not_a_500(boss):
    assert boss.get("/duplicates/merge/", {"kept": "x", "duplicate": "99999999999999999999999"}).status_code == 404


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.SECURE_SSL_REDIRECT = False


@pytest.mark.parametrize(
    ("language", "title", "link"),
    [("en", "This page does not exist", "Find a guest"), ("zh-hant", "找不到這個頁面", "查詢客人")],
)
def test_a_404_is_a_page_in_the_staffs_language_with_a_way_back(production, frontdesk, language, title, link):
    frontdesk.language = language
    frontdesk.save()
    browser = Client(raise_request_exception=False)
    browser.force_login(frontdesk.user)
    response = browser.get("/customers/987654/")
    assert response.status_code == 404
    html = response.content.decode()
    assert title in html and f'<a href="/" class="button">{link}</a>' in html


def test_a_403_says_whose_page_it_is_with_a_way_back(production, frontdesk):
    browser = Client(raise_request_exception=False)
    browser.force_login(frontdesk.user)
    response = browser.get("/duplicates/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "This page is not for your role" in html and 'href="/"' in html and "Log out" in html
