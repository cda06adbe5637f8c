"""The survey page asks "how likely are you to recommend us?" 0–10 (the NPS question of issue 14), optional; the
card shows the answer beside the score."""

from __future__ import annotations

import pytest

from personalization.models import Feedback, TouchKind
from personalization.touches import messages as touch_messages
from tests.factories import TouchFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(customer, property_):
    touch = TouchFactory(customer=customer, property=property_, kind=TouchKind.CSAT_SURVEY, idempotency_key="survey:1")
    return f"/t/feedback/{touch_messages.feedback_token(touch)}/"


def test_the_guest_may_say_how_likely_they_are_to_recommend_us(client, survey, boss, customer):
    page = client.get(survey).content.decode()
    assert "How likely are you to recommend us to a friend?" in page and 'value="10"' in page
    assert client.post(survey, {"score": "5", "recommend": "9"}).status_code == 200
    assert Feedback.objects.get().recommend == 9
    assert "Would recommend: 9/10" in boss.get(f"/customers/{customer.pk}/").content.decode()


def test_the_question_may_be_skipped_and_nonsense_is_refused(client, survey):
    assert client.post(survey, {"score": "3", "recommend": "11"}).status_code == 400
    assert client.post(survey, {"score": "3", "recommend": "-1"}).status_code == 400
    assert not Feedback.objects.exists()
    assert client.post(survey, {"score": "3"}).status_code == 200
    assert Feedback.objects.get().recommend is None
