"""The desk's tasks: call-backs are tasks, not messages — on the desk's list (screen and API), taken, finished
with an outcome and a note that is logged as a contact; never "sent"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from crm.models import ChangeRecord, Contact
from personalization.models import Touch, TouchStatus
from personalization.touches.services import dispatch
from tests.factories import CustomerFactory, PropertyFactory, StaffFactory
from tests.personalization.touches.conftest import resolve_issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def guest(organization):
    return CustomerFactory(
        organization=organization, given_name="Jing", family_name="Chen", email="", phone="+8613800139999"
    )


@pytest.fixture
def task(guest, property_):
    resolve_issue(guest, property_, summary="Charged twice for the minibar")
    return Touch.objects.get(customer=guest)


def test_the_dispatcher_leaves_a_due_task_to_the_desk(task):
    # Given a call-back task that is due
    Touch.objects.filter(pk=task.pk).update(due_at=timezone.now() - timedelta(hours=1))
    # when the dispatcher runs, it claims nothing (the old code claimed it and marked it "sent")
    assert dispatch.touches_claim() == []
    task.refresh_from_db()
    assert task.status == TouchStatus.SCHEDULED and task.sent_at is None and task.task_status == "open"
    # and the database itself refuses a task "sending" or "sent"
    for status in (TouchStatus.SENDING, TouchStatus.SENT):
        with pytest.raises(IntegrityError), transaction.atomic():
            Touch.objects.filter(pk=task.pk).update(status=status, sent_at=timezone.now(), claimed_at=timezone.now())


def test_the_api_lists_open_tasks_including_those_not_yet_due(api, task, guest, property_):
    body = api.get("/api/v1/tasks/?status=open").json()
    assert body["count"] == 1 and body["next"] is None and body["previous"] is None
    [row] = body["results"]
    assert row["id"] == task.pk and row["customer"] == guest.pk and row["kind"] == "call_back"
    assert row["status"] == "open" and row["outcome"] is None and row["note"] == "" and row["due_at"]
    assert row["issue"] == task.issue_id and row["property"] == property_.pk
    assert api.get("/api/v1/tasks/?status=done").json()["count"] == 0
    assert api.get(f"/api/v1/tasks/?customer={guest.pk}&property={property_.pk}").json()["count"] == 1
    assert api.get(f"/api/v1/tasks/?customer={guest.pk + 1000}").json()["count"] == 0


def test_messages_are_not_tasks(api, customer, property_, task):
    resolve_issue(customer, property_)  # a guest with email: a follow-up mail, not a task
    assert api.get("/api/v1/tasks/").json()["count"] == 1
    mail = Touch.objects.get(customer=customer)
    assert api.post(f"/api/v1/tasks/{mail.pk}/done/", {"outcome": "reached"}, format="json").status_code == 404


@pytest.mark.parametrize(
    "query",
    ["status=sent", "status=scheduled", "customer=abc", "customer=-1", "property=abc", "customer=99999999999999999999"],
)
def test_bad_task_filters_are_400_on_the_field(api, query):
    response = api.get(f"/api/v1/tasks/?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()


def test_another_organizations_property_is_400_and_its_task_404(api, outsider_api, task, other_property):
    assert "property" in api.get(f"/api/v1/tasks/?property={other_property.pk}").json()
    assert outsider_api.get("/api/v1/tasks/").json()["count"] == 0
    assert outsider_api.post(f"/api/v1/tasks/{task.pk}/done/", {"outcome": "reached"}, format="json").status_code == 404


def test_finishing_a_task_logs_the_call_as_a_contact(api, task, guest, frontdesk):
    response = api.post(
        f"/api/v1/tasks/{task.pk}/done/", {"outcome": "left_message", "note": "Voicemail, will try at 6"}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["outcome"], body["note"]) == ("done", "left_message", "Voicemail, will try at 6")
    contact = Contact.objects.get(customer=guest)
    assert contact.kind == "call" and contact.staff == frontdesk.user
    assert contact.note == "Left a message: Voicemail, will try at 6"
    task.refresh_from_db()
    assert task.contact == contact and task.done_by == frontdesk.user and task.status == "done"
    assert ChangeRecord.objects.filter(action="task.done", target_id=task.pk, actor=frontdesk.user).exists()
    assert api.get("/api/v1/tasks/?status=done").json()["results"][0]["id"] == task.pk
    assert api.get("/api/v1/tasks/?status=open").json()["count"] == 0


@pytest.mark.parametrize("payload", [{}, {"outcome": "sent"}, {"outcome": "reached", "note": "x" * 2001}])
def test_a_bad_outcome_is_400_and_changes_nothing(api, task, payload):
    response = api.post(f"/api/v1/tasks/{task.pk}/done/", payload, format="json")
    assert response.status_code == 400
    assert set(response.json()) <= {"outcome", "note"}
    task.refresh_from_db()
    assert task.status == TouchStatus.SCHEDULED and not Contact.objects.exists()


def test_a_task_done_twice_is_409(api, task):
    assert api.post(f"/api/v1/tasks/{task.pk}/done/", {"outcome": "reached"}, format="json").status_code == 200
    again = api.post(f"/api/v1/tasks/{task.pk}/done/", {"outcome": "no_answer"}, format="json")
    assert again.status_code == 409 and "already done" in again.json()["detail"]
    assert Contact.objects.count() == 1


def test_a_cancelled_task_cannot_be_done(api, task):
    from crm import services

    services.issue_update(issue=task.issue, status="open")  # reopened: the call-back is cancelled
    response = api.post(f"/api/v1/tasks/{task.pk}/done/", {"outcome": "reached"}, format="json")
    assert response.status_code == 409 and "cancelled" in response.json()["detail"]


def test_send_now_refuses_a_task(boss, task):
    page = boss.post(f"/touches/{task.pk}/send-now/", follow=True).content.decode()
    assert "A task is done by the desk, not sent." in page
    task.refresh_from_db()
    assert task.status == TouchStatus.SCHEDULED


# --- the screen ------------------------------------------------------------------------------------------


def test_front_desk_has_a_task_list_with_the_most_overdue_first(desk, organization, property_, task):
    # Given a second task, overdue by a day, and the first one due in two days
    older = CustomerFactory(organization=organization, given_name="Wei", family_name="Zhang", email="")
    resolve_issue(older, property_, summary="Cold shower")
    Touch.objects.filter(customer=older).update(due_at=timezone.now() - timedelta(days=1))
    page = desk.get("/tasks/")
    assert page.status_code == 200  # front desk: the follow-ups screen is 403, tasks are theirs
    html = page.content.decode()
    assert html.index("Wei Zhang") < html.index("Jing Chen")
    assert html.count("Overdue") == 1
    # a list of many guests: front desk sees the phone masked, the card shows it in full
    assert "…9999" in html and "+8613800139999" not in html


def test_a_manager_sees_phones_in_full_and_may_pick_a_property(boss, organization, task):
    other = PropertyFactory(organization=organization, name="Airport Inn")
    assert "+8613800139999" in boss.get("/tasks/").content.decode()
    assert "Jing Chen" not in boss.get(f"/tasks/?property={other.pk}").content.decode()


def test_the_navigation_counts_the_tasks_due_now(desk, task):
    assert 'class="count"' not in desk.get("/").content.decode()  # due in two days: on the list, not counted
    Touch.objects.filter(pk=task.pk).update(due_at=timezone.now())
    assert '<span class="count" aria-label="1 task due">1</span>' in desk.get("/").content.decode()


def test_a_desk_takes_and_finishes_a_task_on_screen(desk, frontdesk, task, guest):
    page = desk.post(f"/tasks/{task.pk}/claim/", follow=True).content.decode()
    assert "The task is yours." in page and f"Taken by {frontdesk.user.get_username()}" in page
    page = desk.post(f"/tasks/{task.pk}/done/", {"outcome": "reached", "note": "All fine now"}, follow=True)
    assert "Done: Reached." in page.content.decode()
    assert Contact.objects.get(customer=guest).note == "Reached: All fine now"
    done = desk.get("/tasks/?status=done").content.decode()
    assert "Jing Chen" in done and "All fine now" in done


def test_a_task_button_goes_back_where_it_was_pressed_but_never_off_the_site(desk, task):
    # Given the claim button pressed on the done list, then with a next that points at another site
    back = desk.post(f"/tasks/{task.pk}/claim/", {"next": "/tasks/?status=done"})
    away = desk.post(f"/tasks/{task.pk}/done/", {"outcome": "reached", "next": "https://evil.example/tasks/"})
    # then the first goes back to that list, the second to the desk's tasks, not away
    assert back.status_code == 302 and back["Location"] == "/tasks/?status=done"
    assert away.status_code == 302 and away["Location"] == "/tasks/"


def test_finishing_without_an_outcome_shows_the_error_on_the_form(desk, task):
    response = desk.post(f"/tasks/{task.pk}/done/", {"note": "Tried"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in html and "Tried" in html  # what was typed stays
    task.refresh_from_db()
    assert task.status == TouchStatus.SCHEDULED and not Contact.objects.exists()


def test_another_organizations_task_is_404_on_screen(client, other_property, task):
    client.force_login(StaffFactory(property=other_property).user)
    assert client.post(f"/tasks/{task.pk}/claim/").status_code == 404
    assert client.post(f"/tasks/{task.pk}/done/", {"outcome": "reached"}).status_code == 404
    assert "Jing Chen" not in client.get("/tasks/").content.decode()


def test_the_task_list_speaks_chinese(client, property_, task):
    desk = StaffFactory(property=property_)
    client.force_login(desk.user)
    html = client.get("/tasks/", HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode()
    assert "回電客人" in html and "待辦" in html and "我來處理" in html and "完成任務" in html
    assert "已聯絡上" in html and "無人接聽" in html and "已留言" in html


# --- the guest's rights -----------------------------------------------------------------------------------


def test_the_export_holds_the_task_and_the_erase_forgets_its_note(manager_api, api, task, guest):
    api.post(f"/api/v1/tasks/{task.pk}/done/", {"outcome": "reached", "note": "Her son answered"}, format="json")
    exported = manager_api.get(f"/api/v1/customers/{guest.pk}/export/").json()
    [row] = exported["touches"]
    assert (row["outcome"], row["note"], row["status"]) == ("reached", "Her son answered", "done")
    assert manager_api.post(f"/api/v1/customers/{guest.pk}/erase/").status_code == 200
    assert not Touch.objects.filter(note__contains="son").exists()
    assert not Contact.objects.filter(note__contains="son").exists()
    assert not ChangeRecord.objects.filter(changes__icontains="son answered").exists()


def test_the_guest_card_shows_a_call_back_as_open_then_done_never_scheduled_or_sent(desk, task, guest):
    def follow_ups() -> str:
        page = desk.get(f"/customers/{guest.pk}/").content.decode()
        return page[page.index('id="touches"') :].split("</section>", 1)[0]

    shown = follow_ups()
    assert "Call them back" in shown and "Open" in shown and "Scheduled" not in shown
    desk.post(f"/tasks/{task.pk}/done/", {"outcome": "no_answer", "note": ""})
    shown = follow_ups()
    assert "Done: No answer" in shown and "Sent" not in shown
