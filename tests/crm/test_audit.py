"""The change history: typed actions, old and new values, and nothing of a guest left after erasing them."""

from __future__ import annotations

import json

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.db import IntegrityError, transaction
from django.test import RequestFactory

from crm import services
from crm.models import ChangeAction, ChangeRecord, Customer, Preference
from crm.partial_dates import PartialDate
from crm.services.common import record
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

CUSTOMERS = "/api/v1/customers/"

# Everything the guest told us, as they typed it and as it is stored (E.164 phones).
SECRETS = [
    "Xiuying",
    "Hsiu-ying",
    "Wang",
    "王秀英",
    "王秀瑛",
    "Ying",
    "Yingying",
    "xiuying.wang@example.cn",
    "ying.wang@example.com",
    "ying.w@example.org",
    "13800138000",
    "13900139000",
    "1984-03-14",
    "07-21",
    "Peanuts",
    "EpiPen",
    "lake",
    "Shellfish",
    "chef apologised",
    "daughter Mei",
]


def _admin_logs_a_change(obj, user, message):
    """What the admin site writes when a manager saves obj there."""
    request = RequestFactory().post("/admin/")
    request.user = user
    admin.site.get_model_admin(type(obj)).log_change(request, obj, message)


def _everything_held(records, entries) -> str:
    return json.dumps(
        [r.changes for r in records] + [[e.object_repr, e.change_message] for e in entries], ensure_ascii=False
    )


def test_erasing_a_guest_leaves_no_name_contact_date_or_note_in_the_history(
    api, manager_api, manager, frontdesk, organization
):
    # Given a guest the desk has known for a while: names in two scripts, contacts, dates, an allergy,
    # a preference since deleted, an issue resolved, a contact with a note, details changed since...
    created = api.post(
        CUSTOMERS,
        {
            "given_name": "Xiuying",
            "family_name": "Wang",
            "native_name": "王秀英",
            "preferred_name": "Ying",
            "email": "xiuying.wang@example.cn",
            "phone": "+86 138 0013 8000",
            "birthday": "1984-03-14",
        },
    )
    assert created.status_code == 201, created.json()
    guest = created.json()["id"]
    base = f"{CUSTOMERS}{guest}"
    allergy = api.post(f"{base}/preferences/", {"category": "allergy", "text": "Peanuts, carries an EpiPen"})
    assert allergy.status_code == 201
    earlier = api.post(f"{base}/preferences/", {"category": "room", "text": "Room facing the lake"}).json()
    assert api.delete(f"/api/v1/preferences/{earlier['id']}/").status_code == 204
    issue = api.post(f"{base}/issues/", {"summary": "Shellfish served despite the allergy"}).json()
    resolved = api.patch(f"/api/v1/issues/{issue['id']}/", {"status": "resolved", "resolution": "The chef apologised"})
    assert resolved.status_code == 200, resolved.json()
    contact = api.post(f"{base}/contacts/", {"kind": "departure", "note": "Going to her daughter Mei's wedding"})
    assert contact.status_code == 201
    changed = api.patch(
        f"{base}/",
        {
            "email": "ying.wang@example.com",
            "phone": "+86 139 0013 9000",
            "given_name": "Hsiu-ying",
            "native_name": "王秀瑛",
        },
    )
    assert changed.status_code == 200, changed.json()
    # ... a second profile of hers merged in, a gift delivered, and a manager's edits in the admin site.
    duplicate = CustomerFactory(
        organization=organization,
        given_name="Yingying",
        family_name="Wang",
        email="ying.w@example.org",
        anniversary=PartialDate.parse("07-21"),
    )
    services.preference_record(customer=duplicate, category="food", text="Peanuts never, even traces")
    assert manager_api.post(f"{base}/merge/", {"duplicate_id": duplicate.pk}).status_code == 201
    rule = manager_api.post(
        "/api/v1/gift-rules/", {"name": "Welcome", "trigger": "first_visit", "gift": "Tea for {preferred_name}"}
    ).json()
    (delight,) = api.get(f"{base}/brief/").json()["delight"]
    assert api.post(f"/api/v1/delights/{delight['delight_id']}/deliver/").status_code == 200
    _admin_logs_a_change(Customer.objects.get(pk=guest), manager.user, [{"changed": {"fields": ["Email"]}}])
    _admin_logs_a_change(Preference.objects.filter(customer_id=guest).first(), manager.user, "Peanuts")
    # and another guest, whom the erase must not touch.
    other = CustomerFactory(organization=organization, given_name="Aoife", email="aoife@example.ie")
    held = _everything_held(ChangeRecord.objects.all(), LogEntry.objects.all())
    assert all(secret in held for secret in ["王秀英", "ying.wang@example.com", "EpiPen", "lake", "Yingying"])
    before = list(ChangeRecord.objects.order_by("id").values_list("id", "action", "actor", "created_at", "target_id"))

    # When a manager erases her,
    assert manager_api.delete(f"{base}/").status_code == 204

    # then no change record and no admin log entry holds anything she told us,
    held = _everything_held(ChangeRecord.objects.all(), LogEntry.objects.all())
    assert [secret for secret in SECRETS if secret.lower() in held.lower()] == []
    # yet every record stays, with its action, actor, time and id, and the erasures are recorded.
    after = list(ChangeRecord.objects.order_by("id").values_list("id", "action", "actor", "created_at", "target_id"))
    assert after[: len(before)] == before
    assert [(a, actor, target) for _id, a, actor, _at, target in after[len(before) :]] == [
        (ChangeAction.CUSTOMER_ERASE, manager.user.pk, guest),
        (ChangeAction.CUSTOMER_ERASE, manager.user.pk, duplicate.pk),
    ]
    assert set(ChangeRecord.objects.filter(customer_id=guest).values_list("action", flat=True)) >= {
        "customer.create",
        "customer.update",
        "preference.record",
        "preference.delete",
        "issue.open",
        "issue.update",
        "contact.log",
        "customer.merge",
        "delight.deliver",
        "customer.erase",
    }
    assert LogEntry.objects.filter(object_repr=str(guest), change_message="[]").exists()
    # The other guest's history and the gift rule's are untouched.
    assert ChangeRecord.objects.get(action="customer.create", target_id=other.pk).changes["email"] == {
        "new": "aoife@example.ie"
    }
    assert ChangeRecord.objects.get(action="gift_rule.create", target_id=rule["id"]).changes["name"] == {
        "new": "Welcome"
    }


def test_an_update_records_the_old_and_new_value_of_each_changed_field(customer, frontdesk):
    services.customer_update(
        customer=customer,
        actor=frontdesk.user,
        email="s.oconnor@example.ie",
        preferred_name="Shiv",
        family_name="O'Connor",
    )
    update = ChangeRecord.objects.get(action=ChangeAction.CUSTOMER_UPDATE, target_id=customer.pk)
    assert update.changes == {
        "email": {"old": "siobhan@example.ie", "new": "s.oconnor@example.ie"},
        "preferred_name": {"old": "", "new": "Shiv"},
    }
    assert update.actor == frontdesk.user and update.customer_id == customer.pk
    assert update.summary() == "email: siobhan@example.ie → s.oconnor@example.ie, preferred_name: — → Shiv"


def test_a_creation_records_new_values_and_a_deletion_old_ones(customer):
    preference = services.preference_record(customer=customer, category="drink", text="Builder's tea")
    services.preference_delete(preference=preference)
    recorded, deleted = ChangeRecord.objects.filter(target_type="preference").order_by("id")
    assert recorded.changes == {"category": {"new": "drink"}, "text": {"new": "Builder's tea"}}
    assert deleted.changes == {"text": {"old": "Builder's tea"}, "category": {"old": "drink"}}
    assert recorded.customer_id == deleted.customer_id == customer.pk


def test_an_issue_status_change_records_where_it_moved_from(customer):
    issue = services.issue_open(customer=customer, summary="Cold soup")
    services.issue_update(issue=issue, status="resolved", resolution="Soup replaced")
    update = ChangeRecord.objects.get(action=ChangeAction.ISSUE_UPDATE)
    assert update.changes == {
        "status": {"old": "open", "new": "resolved"},
        "resolution": {"old": "", "new": "Soup replaced"},
    }


def test_an_unknown_action_is_refused(customer, organization):
    with pytest.raises(ValueError, match="customer.teleport"):
        record(organization=organization, actor=None, action="customer.teleport", target=customer)
    assert not ChangeRecord.objects.filter(action="customer.teleport").exists()
    # The database refuses it too, whatever writes the row.
    with pytest.raises(IntegrityError), transaction.atomic():
        ChangeRecord.objects.create(
            organization=organization, action="customer.teleport", target_type="customer", target_id=customer.pk
        )


def test_managers_read_the_history_with_old_and_new_values_in_the_admin(client, manager, customer):
    services.customer_update(customer=customer, actor=manager.user, email="s.oconnor@example.ie")
    manager.user.is_staff = True
    manager.user.save()
    manager.user.groups.add(services.manager_group())
    client.force_login(manager.user)
    page = client.get("/admin/crm/changerecord/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "customer changed" in html and "email: siobhan@example.ie → s.oconnor@example.ie" in html
