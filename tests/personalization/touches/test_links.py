"""The guests' signed links (issue 11): never dated in the future, a survey answered once, an unsubscribe
link that still works after its profile was merged, and answers nobody rewrites in the admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from crm import services
from crm.models import Customer
from personalization.models import Feedback, Touch
from personalization.touches import messages
from tests.factories import CustomerFactory
from tests.personalization.touches.conftest import resolve_issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def follow_up(customer, property_):
    resolve_issue(customer, property_)
    return Touch.objects.get()


def _path(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_a_survey_link_dated_tomorrow_is_refused(client, follow_up):
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        url = messages.feedback_url(follow_up)
    page = client.get(_path(url))
    assert page.status_code == 404 and "expired or is not valid" in page.content.decode()
    assert client.post(_path(url), {"score": "1"}).status_code == 404
    assert not Feedback.objects.exists()


def test_an_unsubscribe_link_dated_tomorrow_is_refused(client, customer):
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        url = messages.unsubscribe_url(customer)
    assert client.post(_path(url)).status_code == 404
    customer.refresh_from_db()
    assert customer.consent_service is True


def test_a_link_signed_a_moment_ago_on_a_clock_slightly_ahead_works(client, follow_up):
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        url = messages.feedback_url(follow_up)
    assert client.get(_path(url)).status_code == 200


def test_a_survey_is_answered_once(client, follow_up):
    url = _path(messages.feedback_url(follow_up))
    assert client.post(url, {"score": "5", "comment": "Lovely"}).status_code == 200
    # a second answer (the guest again, or whoever holds the mail) is refused and changes nothing
    again = client.post(url, {"score": "1", "comment": "Terrible"})
    assert again.status_code == 409
    assert "already been answered" in again.content.decode()
    assert client.get(url).status_code == 200 and "already been answered" in client.get(url).content.decode()
    feedback = Feedback.objects.get()
    assert (feedback.score, feedback.comment) == (5, "Lovely")


def test_already_answered_speaks_the_guests_language(client, organization, property_):
    guest = CustomerFactory(organization=organization, native_name="王芳", language="zh-hant", email="f@example.tw")
    resolve_issue(guest, property_)
    url = _path(messages.feedback_url(Touch.objects.get(customer=guest)))
    client.post(url, {"score": "4"})
    assert "這份問卷已經回答過了" in client.get(url).content.decode()


def test_an_unsubscribe_link_of_a_merged_away_profile_opts_out_the_surviving_one(client, organization, customer):
    # Given an older mail to a profile that was later merged into another
    older = CustomerFactory(organization=organization, given_name="Siobhan", family_name="OConnor")
    url = _path(messages.unsubscribe_url(older))
    services.customer_merge(kept=customer, duplicate=older)
    # when the guest follows its unsubscribe link, then the page answers and the surviving profile opts out
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 200
    customer.refresh_from_db()
    assert not (customer.consent_service or customer.consent_marketing or customer.consent_surprises)
    assert Customer.objects.get(pk=older.pk).merged_into_id == customer.pk


def test_managers_read_answers_in_the_admin_but_cannot_rewrite_them(client, admin_manager, follow_up):
    Client().post(_path(messages.feedback_url(follow_up)), {"score": "2", "comment": "Still noisy"})  # the guest
    feedback = Feedback.objects.get()
    change = f"/admin/personalization/feedback/{feedback.pk}/change/"
    page = client.get(change)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    client.post(change, {"customer": feedback.customer_id, "score": "5", "comment": "Perfect"})
    assert client.get(f"/admin/personalization/feedback/{feedback.pk}/delete/").status_code == 403
    feedback.refresh_from_db()
    assert (feedback.score, feedback.comment) == (2, "Still noisy")
