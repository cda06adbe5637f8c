"""Internal words never reach guests: the follow-up mail and the survey page speak of an issue in its guest-facing
summary, or in a neutral phrase — never in the summary staff wrote for each other. In the three languages."""

from __future__ import annotations

import pytest

from crm import services
from personalization.models import Touch
from personalization.touches import messages
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

INTERNAL = "Charged twice for the minibar"

# language → (the neutral sentence of the mail, the neutral line of the survey page, how the guest summary is quoted)
WORDS = {
    "en": (
        "something was not as it should have been",
        "About what went wrong during your visit.",
        "“a mistake on your bill”",
    ),
    "zh-hans": ("我们有些地方没有做好", "关于您上次光临时遇到的问题。", "“a mistake on your bill”"),
    "zh-hant": ("我們有些地方沒有做好", "關於您上次光臨時遇到的問題。", "“a mistake on your bill”"),
}


def _follow_up(organization, property_, language: str, guest_summary: str) -> Touch:
    guest = CustomerFactory(organization=organization, language=language, email="guest@example.com")
    issue = services.issue_open(customer=guest, property=property_, summary=INTERNAL)
    services.issue_update(
        issue=issue, status="resolved", resolution="Refunded the second charge", guest_summary=guest_summary
    )
    return Touch.objects.get(issue=issue)


@pytest.mark.parametrize("language", WORDS)
def test_the_follow_up_mail_never_quotes_the_internal_summary(organization, property_, language):
    neutral, _survey, _quoted = WORDS[language]
    rendered = messages.render(_follow_up(organization, property_, language, guest_summary=""))
    for part in (rendered.subject, rendered.text, rendered.html):
        assert INTERNAL not in part
    assert neutral in rendered.text and neutral in rendered.html


@pytest.mark.parametrize("language", WORDS)
def test_the_follow_up_mail_quotes_the_guest_summary(organization, property_, language):
    _neutral, _survey, quoted = WORDS[language]
    rendered = messages.render(_follow_up(organization, property_, language, guest_summary="a mistake on your bill"))
    assert quoted in rendered.text and quoted in rendered.html  # the guest's words are not translated
    assert INTERNAL not in rendered.text and INTERNAL not in rendered.html


@pytest.mark.parametrize("language", WORDS)
def test_the_survey_page_never_shows_the_internal_summary(client, organization, property_, language):
    _neutral, survey, quoted = WORDS[language]
    touch = _follow_up(organization, property_, language, guest_summary="")
    page = client.get(_path(messages.feedback_url(touch)))
    html = page.content.decode()
    assert page.status_code == 200 and INTERNAL not in html and survey in html

    services.issue_update(issue=touch.issue, guest_summary="a mistake on your bill")
    html = client.get(_path(messages.feedback_url(touch))).content.decode()
    assert INTERNAL not in html and quoted in html


def _path(url: str) -> str:
    return url[len(messages.settings.RAPPORT_PUBLIC_URL) :]
