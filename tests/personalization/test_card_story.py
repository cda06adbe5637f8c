"""The card tells the whole story (issue 12): tags and VIP as badges (card and lookup), survey answers, what the
guest allows us to send and whether they unsubscribed, and a timeline of everything, newest first, paged."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from crm import services
from crm.models import AccessAction, AccessRecord
from personalization.models import Touch, TouchStatus
from personalization.story import TIMELINE_PAGE
from personalization.touches.services.manual import customer_unsubscribe, feedback_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def told_us(customer, property_):
    """A guest whose complaint was resolved and who answered the survey 2/5 with a comment."""
    issue = services.issue_open(customer=customer, property=property_, summary="Charged twice for the minibar")
    services.issue_update(issue=issue, status="resolved", resolution="Refunded")
    follow_up = Touch.objects.get(issue=issue)
    Touch.objects.filter(pk=follow_up.pk).update(status=TouchStatus.SENT, sent_at=timezone.now())
    feedback_record(touch=follow_up, score=2, comment="Still waiting for the refund")
    return customer


def test_the_survey_score_and_comment_are_on_the_card(desk, told_us):
    page = desk.get(f"/customers/{told_us.pk}/").content.decode()
    section = page[page.index('id="feedback"') :]
    assert '<strong class="score-low">2/5</strong>' in section
    assert "Still waiting for the refund" in section and "Charged twice for the minibar" in section


def test_an_unsubscribe_is_on_the_card(desk, customer):
    customer_unsubscribe(customer=customer)
    page = desk.get(f"/customers/{customer.pk}/").content.decode()
    section = page[page.index('id="consent"') :]
    assert "Unsubscribed through the link in a message on" in section
    assert '<li class="badge warn">✗ Service messages</li>' in section


def test_consent_given_by_staff_is_not_called_an_unsubscribe(desk, customer, frontdesk):
    services.customer_update(customer=customer, actor=frontdesk.user, consent_service=False, consent_marketing=False)
    page = desk.get(f"/customers/{customer.pk}/").content.decode()
    assert "Unsubscribed through the link" not in page and "✗ Service messages" in page


def test_tags_and_vip_are_badges_on_the_card_and_in_the_lookup(desk, customer):
    services.customer_update(customer=customer, tags=["VIP", "business"], do_not_contact=True)
    page = desk.get(f"/customers/{customer.pk}/").content.decode()
    assert '<span class="badge vip">★ VIP</span>' in page and '<span class="badge">business</span>' in page
    results = desk.post("/", {"q": "Siobhan"}, HTTP_HX_REQUEST="true").content.decode()
    assert '<span class="badge vip">★ VIP</span>' in results and "Do not contact" in results


def test_the_timeline_tells_everything_newest_first(desk, told_us, property_):
    services.preference_record(customer=told_us, category="drink", text="Oat-milk flat white")
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        services.contact_log(customer=told_us, property=property_, kind="arrival", note="Came with her sister")
    page = desk.get(f"/customers/{told_us.pk}/").content.decode()
    timeline = page[page.index('id="timeline"') :]
    order = [
        timeline.index("Came with her sister"),
        timeline.index("Oat-milk flat white"),
        timeline.index("Survey answer: 2/5"),
        timeline.index("Issue resolved"),
        timeline.index("Issue opened (Medium)"),
    ]
    assert order == sorted(order)


def test_the_timeline_is_paged_and_each_page_is_a_recorded_view(desk, customer, property_, frontdesk):
    start = timezone.now() - timedelta(days=60)
    for day in range(TIMELINE_PAGE + 3):
        with time_machine.travel(start + timedelta(days=day)):
            services.contact_log(customer=customer, property=property_, kind="visit", note=f"Visit {day:02d}")
    page = desk.get(f"/customers/{customer.pk}/").content.decode()
    assert f"Visit {TIMELINE_PAGE + 2:02d}" in page and "Visit 00" not in page
    assert f'hx-get="/customers/{customer.pk}/timeline/?page=2"' in page
    more = desk.get(f"/customers/{customer.pk}/timeline/?page=2", HTTP_HX_REQUEST="true").content.decode()
    assert "Visit 00" in more and f"Visit {TIMELINE_PAGE + 2:02d}" not in more and "<html" not in more
    # without JavaScript the link opens the page on its own
    plain = desk.get(f"/customers/{customer.pk}/timeline/?page=2").content.decode()
    assert "<html" in plain and "Visit 00" in plain
    assert AccessRecord.objects.filter(customer_id=customer.pk, action=AccessAction.TIMELINE, actor=frontdesk.user)
    assert desk.get(f"/customers/{customer.pk}/timeline/?page=x").status_code == 200
