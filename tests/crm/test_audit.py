"""The change history: typed actions, old and new values, and nothing of a guest left after erasing them."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from crm import services
from crm.models import ChangeAction, ChangeRecord
from crm.services.common import record

pytestmark = pytest.mark.django_db


def test_an_update_records_the_old_and_new_value_of_each_changed_field(customer, frontdesk):
    services.customer_update(customer=customer, actor=frontdesk.user, email="s.oconnor@example.ie",
                             preferred_name="Shiv", family_name="O'Connor")  # fmt: skip
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
        ChangeRecord.objects.create(organization=organization, action="customer.teleport", target_type="customer",
                                    target_id=customer.pk)  # fmt: skip


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
