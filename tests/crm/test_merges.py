"""Likely duplicates, merging them, and undoing a merge."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from crm import services
from crm.errors import Conflict
from crm.lookup.search import search
from crm.models import ChangeRecord, Contact, Customer, Issue, Preference
from crm.selectors import likely_duplicates_of
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(organization):
    """The same guest entered twice: once by the PMS, once at the desk with a nickname."""
    johnson = {"organization": organization, "family_name": "Johnson"}
    kept = CustomerFactory(**johnson, given_name="Robert", email="bob@example.com", phone="")
    duplicate = CustomerFactory(
        **johnson, given_name="Bob", email="BOB@example.com", phone="+1 212 555 0187", tags=["vip"]
    )
    services.preference_record(customer=duplicate, category="allergy", text="Peanuts")
    services.issue_open(customer=duplicate, summary="Lost key card")
    services.contact_log(customer=duplicate, kind="visit", occurred_at=timezone.now() - timedelta(days=3))
    services.contact_log(customer=kept, kind="visit", occurred_at=timezone.now() - timedelta(days=30))
    return kept, duplicate


# --- finding duplicates ----------------------------------------------------------


def test_same_email_is_a_likely_duplicate_on_create(api, pair):
    kept, duplicate = pair
    response = api.post("/api/v1/customers/", {"given_name": "Rob", "family_name": "J", "email": "bob@example.com"})
    assert response.status_code == 201
    found = {d["customer"]["id"]: d["reasons"] for d in response.json()["likely_duplicates"]}
    assert found == {kept.pk: ["same_email"], duplicate.pk: ["same_email"]}


@pytest.mark.parametrize(("namesakes", "reported"), [(19, 19), (20, 0)])
def test_a_whole_name_is_a_reason_up_to_the_common_name_bound(api, organization, namesakes, reported):
    # Given 19 guests called Wang Wei (with the new one, 20: MAX_NAME_GROUP), or 20 (21: a common name)
    for _ in range(namesakes):
        CustomerFactory(organization=organization, given_name="Wei", family_name="Wang", email="", phone="")
    # When one more is created, then each namesake is a likely duplicate up to the bound, none past it
    answer = api.post("/api/v1/customers/", {"given_name": "Wei", "family_name": "Wang"})
    assert answer.status_code == 201, answer.json()
    reasons = [d["reasons"] for d in answer.json()["likely_duplicates"]]
    assert reasons == [["same_name"]] * reported


def test_likely_duplicates_come_with_their_home_property_and_never_a_merged_away_profile(
    organization, property_, django_assert_num_queries
):
    # Given a family email on four profiles: one at the hotel, one with no home property, one merged away
    family = {"organization": organization, "email": "family@example.com", "phone": ""}
    at_home = CustomerFactory(**family, given_name="Mei", home_property=property_)
    nowhere = CustomerFactory(**family, given_name="Lan", home_property=None)
    gone = CustomerFactory(**family, given_name="Lan")
    Customer.objects.filter(pk=gone.pk).update(merged_into=nowhere)
    guest = CustomerFactory(**family, given_name="Jun")
    # When the guest's likely duplicates are read: the terms they share, then the others' rows
    with django_assert_num_queries(2):
        found = likely_duplicates_of(guest)
    # Then the two others, each with its home property already read, and not the merged-away profile
    with django_assert_num_queries(0):
        homes = {other.pk: (other.home_property, reasons) for other, reasons in found}
    assert homes == {at_home.pk: (property_, ("same_email",)), nowhere.pk: (None, ("same_email",))}


def test_an_email_shared_by_many_reports_its_most_recent_holders(api, organization):
    # Given a family email held by 25 guests, each last seen on another day (the oldest first)
    holders = []
    for days_ago in range(25, 0, -1):
        holder = CustomerFactory(organization=organization, email="family@example.com", phone="")
        services.contact_log(customer=holder, kind="visit", occurred_at=timezone.now() - timedelta(days=days_ago))
        holders.append(holder)
    # When one more guest gives it, then the 21 seen last are reported (one more than MAX_NAME_GROUP: enough to
    # tell a common name), the four seen longest ago are not
    answer = api.post("/api/v1/customers/", {"given_name": "Ana", "family_name": "Ruiz", "email": "family@example.com"})
    assert answer.status_code == 201, answer.json()
    reported = {d["customer"]["id"] for d in answer.json()["likely_duplicates"]}
    assert reported == {holder.pk for holder in holders[4:]}


def test_same_phone_and_same_name_are_likely_duplicates(api, organization):
    first = CustomerFactory(organization=organization, zhang_wei=True, email="", phone="+86 138 0013 8000")
    second = CustomerFactory(organization=organization, native_name="張偉", email="", phone="")
    third = CustomerFactory(
        organization=organization, given_name="Min", family_name="Liu", email="", phone="+86 138 0013 8000"
    )
    body = api.get(f"/api/v1/customers/{first.pk}/").json()
    found = {d["customer"]["id"]: d["reasons"] for d in body["likely_duplicates"]}
    assert found == {second.pk: ["same_name"], third.pk: ["same_phone"]}


def test_namesakes_with_different_emails_are_not_duplicates(api, organization):
    first = CustomerFactory(organization=organization, given_name="Wei", family_name="Zhang", email="a@example.cn")
    CustomerFactory(organization=organization, given_name="Wei", family_name="Zhang", email="b@example.cn")
    assert api.get(f"/api/v1/customers/{first.pk}/").json()["likely_duplicates"] == []


def test_managers_list_every_likely_duplicate_pair(manager_api, pair, organization):
    CustomerFactory(organization=organization, given_name="Solo", family_name="Guest")
    body = manager_api.get("/api/v1/customers/duplicates/").json()
    assert body["count"] == 1
    only = body["results"][0]
    assert {only["first"]["id"], only["second"]["id"]} == {p.pk for p in pair}
    assert only["reasons"] == ["same_email"]


def test_front_desk_cannot_list_duplicates_or_merge(api, pair):
    kept, duplicate = pair
    assert api.get("/api/v1/customers/duplicates/").status_code == 403
    response = api.post(f"/api/v1/customers/{kept.pk}/merge/", {"duplicate_id": duplicate.pk})
    assert response.status_code == 403
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None


# --- merging ----------------------------------------------------------------------


def test_merge_moves_all_history_and_hides_the_duplicate(manager_api, pair, manager):
    kept, duplicate = pair
    response = manager_api.post(f"/api/v1/customers/{kept.pk}/merge/", {"duplicate_id": duplicate.pk})
    assert response.status_code == 201, response.json()
    merge = response.json()
    assert merge["kept"] == kept.pk and merge["duplicate"] == duplicate.pk
    assert merge["moved"] == {"crm.preference.customer": 1, "crm.issue.customer": 1, "crm.contact.customer": 1}
    assert merge["undone_at"] is None and merge["undo_until"]

    kept.refresh_from_db()
    assert kept.visit_count == 2 and kept.last_seen > timezone.now() - timedelta(days=4)
    assert kept.phone == "+12125550187" and kept.tags == ["vip"]  # filled from the duplicate
    assert Preference.objects.get().customer == kept and Issue.objects.get().customer == kept
    assert manager_api.get(f"/api/v1/customers/{duplicate.pk}/").status_code == 404
    assert [c.pk for c in search(organization=kept.organization, text="0187")] == [kept.pk]
    assert ChangeRecord.objects.filter(action="customer.merge", target_id=kept.pk, actor=manager.user).exists()


def test_merge_into_itself_is_400(manager_api, pair):
    kept, _ = pair
    response = manager_api.post(f"/api/v1/customers/{kept.pk}/merge/", {"duplicate_id": kept.pk})
    assert response.status_code == 400 and "duplicate_id" in response.json()


@pytest.mark.parametrize("payload", [{}, {"duplicate_id": "seven"}, {"duplicate_id": None}])
def test_merge_without_a_duplicate_id_is_400(manager_api, pair, payload):
    response = manager_api.post(f"/api/v1/customers/{pair[0].pk}/merge/", payload, format="json")
    assert response.status_code == 400 and "duplicate_id" in response.json()


def test_merge_across_organizations_is_404(manager_api, pair, outsider):
    kept, _ = pair
    foreign = CustomerFactory(organization=outsider.organization)
    assert manager_api.post(f"/api/v1/customers/{kept.pk}/merge/", {"duplicate_id": foreign.pk}).status_code == 404
    assert manager_api.post(f"/api/v1/customers/{foreign.pk}/merge/", {"duplicate_id": kept.pk}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.merged_into is None


def test_merging_an_already_merged_profile_is_not_found(manager_api, pair, organization):
    kept, duplicate = pair
    third = CustomerFactory(organization=organization)
    services.customer_merge(kept=kept, duplicate=duplicate)
    response = manager_api.post(f"/api/v1/customers/{third.pk}/merge/", {"duplicate_id": duplicate.pk})
    assert response.status_code == 404


def test_the_most_careful_consent_wins(organization):
    kept = CustomerFactory(organization=organization, consent_marketing=True)
    duplicate = CustomerFactory(organization=organization, consent_marketing=False, do_not_contact=True)
    services.customer_merge(kept=kept, duplicate=duplicate)
    kept.refresh_from_db()
    assert kept.consent_marketing is False and kept.do_not_contact is True


# --- undoing ------------------------------------------------------------------------


def test_undo_gives_everything_back(manager_api, pair):
    kept, duplicate = pair
    merge_id = manager_api.post(f"/api/v1/customers/{kept.pk}/merge/", {"duplicate_id": duplicate.pk}).json()["id"]
    response = manager_api.post(f"/api/v1/merges/{merge_id}/undo/")
    assert response.status_code == 200 and response.json()["undone_at"]

    kept.refresh_from_db()
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None
    assert (kept.phone, kept.tags, kept.visit_count) == ("", [], 1)
    assert (duplicate.visit_count, Preference.objects.get().customer) == (1, duplicate)
    assert Contact.objects.filter(customer=duplicate).count() == 1
    assert manager_api.get(f"/api/v1/customers/{duplicate.pk}/").status_code == 200
    assert [c.pk for c in search(organization=kept.organization, text="0187")] == [duplicate.pk]


def test_undo_twice_is_409(manager_api, pair):
    merge = services.customer_merge(kept=pair[0], duplicate=pair[1])
    assert manager_api.post(f"/api/v1/merges/{merge.pk}/undo/").status_code == 200
    response = manager_api.post(f"/api/v1/merges/{merge.pk}/undo/")
    assert response.status_code == 409 and "already been undone" in response.json()["detail"]


def test_undo_after_thirty_days_is_409(manager_api, pair):
    merge = services.customer_merge(kept=pair[0], duplicate=pair[1])
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        response = manager_api.post(f"/api/v1/merges/{merge.pk}/undo/")
    assert response.status_code == 409 and "30 days" in response.json()["detail"]
    assert Customer.objects.get(pk=pair[1].pk).merged_into_id == pair[0].pk


def test_undo_on_day_twenty_nine_works(pair):
    merge = services.customer_merge(kept=pair[0], duplicate=pair[1])
    with time_machine.travel(timezone.now() + timedelta(days=29)):
        services.merge_undo(merge=merge)
    with pytest.raises(Conflict):
        services.merge_undo(merge=merge)


def test_another_organizations_merge_is_404(manager_api, pair, outsider):
    foreign_kept = CustomerFactory(organization=outsider.organization)
    foreign_dup = CustomerFactory(organization=outsider.organization)
    merge = services.customer_merge(kept=foreign_kept, duplicate=foreign_dup)
    assert manager_api.get(f"/api/v1/merges/{merge.pk}/").status_code == 404
    assert manager_api.post(f"/api/v1/merges/{merge.pk}/undo/").status_code == 404
    merge.refresh_from_db()
    assert merge.undone_at is None


# --- regressions found in review ---------------------------------------------------


def test_dates_move_whole_never_mixed(organization):
    from crm.partial_dates import PartialDate

    kept = CustomerFactory(organization=organization, birthday=None, anniversary=PartialDate(month=2, day=29))
    duplicate = CustomerFactory(
        organization=organization,
        birthday=PartialDate(month=7, day=1, year=1985),
        anniversary=PartialDate(month=7, day=1, year=1985),
    )
    services.customer_merge(kept=kept, duplicate=duplicate)
    kept.refresh_from_db()
    assert str(kept.birthday) == "1985-07-01" and str(kept.anniversary) == "02-29"


def test_undo_inside_a_chain_is_refused_until_the_later_merge_is_undone(manager_api, organization):
    a, b, c = (CustomerFactory(organization=organization) for _ in range(3))
    services.contact_log(customer=a, kind="visit")
    first = services.customer_merge(kept=b, duplicate=a)
    second = services.customer_merge(kept=c, duplicate=b)
    response = manager_api.post(f"/api/v1/merges/{first.pk}/undo/")
    assert response.status_code == 409 and "undo that merge first" in response.json()["detail"]
    assert manager_api.post(f"/api/v1/merges/{second.pk}/undo/").status_code == 200
    assert manager_api.post(f"/api/v1/merges/{first.pk}/undo/").status_code == 200
    a.refresh_from_db()
    assert a.visit_count == 1 and a.merged_into is None


def test_erasing_the_kept_profile_erases_what_was_merged_into_it(api, manager_api, pair):
    kept, duplicate = pair
    services.customer_merge(kept=kept, duplicate=duplicate)
    assert manager_api.delete(f"/api/v1/customers/{kept.pk}/").status_code == 204
    assert not Customer.objects.filter(pk__in=[kept.pk, duplicate.pk]).exists()
    assert api.get("/api/v1/customers/").json()["count"] == 0


def test_undo_keeps_what_staff_changed_after_the_merge(pair):
    kept, duplicate = pair
    merge = services.customer_merge(kept=kept, duplicate=duplicate)
    kept.refresh_from_db()
    services.customer_update(customer=kept, phone="+1 415 555 0100")
    services.merge_undo(merge=merge)
    kept.refresh_from_db()
    assert kept.phone == "+14155550100"  # not reset to the empty phone it had before the merge


def test_a_stale_copy_of_a_merged_profile_does_not_bring_back_its_search_terms(manager_api, pair):
    kept, duplicate = pair
    stale = Customer.objects.get(pk=duplicate.pk)
    services.customer_merge(kept=kept, duplicate=duplicate)
    services.customer_update(customer=stale, family_name="Quixotic")
    assert [c.pk for c in search(organization=kept.organization, text="quixotic")] == []
    assert manager_api.get("/api/v1/customers/duplicates/").status_code == 200
