"""A sent mail in the property's brand (issue 12): text and HTML parts, the logo inside the message referenced by
cid:, the signature and the postal address in both parts, in the guest's language — through the real send path
and a real SMTP server."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from crm import brand, services
from personalization.models import TouchKind
from personalization.touches import messages
from personalization.touches.services.send import Outcome, touches_send
from tests.factories import CustomerFactory
from tests.personalization.touches.conftest import due_touch

pytestmark = pytest.mark.django_db


@pytest.fixture
def branded(property_, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    out = io.BytesIO()
    Image.new("RGB", (160, 48), (255, 208, 0)).save(out, format="PNG")
    return services.property_brand_update(
        property=property_,
        logo=SimpleUploadedFile("logo.png", out.getvalue(), content_type="image/png"),
        accent_color="#ffd000",
        postal_address="香港九龍彌敦道 1 號\n1 Nathan Road, Kowloon",
        signature="Ana 與前台團隊",
    )


def test_a_sent_follow_up_carries_the_brand_in_both_parts_and_the_logo_inline(smtp, branded, organization):
    guest = CustomerFactory(organization=organization, lin_mei=True, language="zh-Hant-HK", home_property=branded)
    touch = due_touch(guest, branded, kind=TouchKind.ISSUE_FOLLOW_UP)

    assert touches_send(touch_ids=[touch.pk], ignore_quiet_hours=True) == {touch.pk: Outcome.SENT}

    [message] = smtp.messages
    assert message.get_content_type() == "multipart/alternative"
    text_part, related = message.get_payload()
    assert text_part.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html_part, logo_part = related.get_payload()
    assert html_part.get_content_type() == "text/html"
    assert logo_part.get_content_type() == "image/png"
    assert logo_part.get_content_disposition() == "inline"
    cid = logo_part["Content-ID"].strip("<>")
    html, text = html_part.get_content(), text_part.get_content()
    assert f'src="cid:{cid}"' in html
    assert logo_part.get_content() == branded.logo.open("rb").read()  # the stored, re-encoded logo

    # The guest reads Traditional Chinese (crm.languages: zh-Hant-HK), in both parts.
    assert "親愛的" in text and "親愛的" in html
    for part in (text, html):
        assert "Ana 與前台團隊" in part  # the signature
        assert "香港九龍彌敦道 1 號" in part and "1 Nathan Road, Kowloon" in part  # the address, each line
        assert "/t/unsubscribe/" in part
    # The header on the accent colour, with the text colour that reads on it (dark on yellow).
    assert "background-color: #ffd000; color: #1d2330" in html
    assert '<meta name="color-scheme" content="light dark">' in html
    assert "@media (prefers-color-scheme: dark)" in html
    assert "max-width: 600px" in html


@pytest.mark.parametrize("kind", sorted(messages.MAIL_KINDS))
def test_every_kind_of_mail_is_framed_by_the_brand(kind, branded, organization):
    guest = CustomerFactory(organization=organization, language="en", home_property=branded)
    touch = due_touch(guest, branded, kind=kind, key=f"{kind}:brand")

    rendered = messages.render(touch)

    assert 'class="rp-header"' in rendered.html and "#ffd000" in rendered.html
    assert f"cid:{messages.logo_cid(touch)}" in rendered.html
    assert rendered.text.count("Ana 與前台團隊") == 1 and "1 Nathan Road, Kowloon" in rendered.text
    assert "Ana 與前台團隊" in rendered.html


def test_without_a_brand_the_mail_is_signed_by_the_team_and_carries_no_image(smtp, property_, organization):
    guest = CustomerFactory(organization=organization, language="zh-CN", home_property=property_)
    touch = due_touch(guest, property_, kind=TouchKind.THANK_YOU)

    touches_send(touch_ids=[touch.pk], ignore_quiet_hours=True)

    [message] = smtp.messages
    assert [part.get_content_type() for part in message.get_payload()] == ["text/plain", "text/html"]
    html = message.get_body(("html",)).get_content()
    assert "cid:" not in html and "<img" not in html
    assert f"background-color: {brand.DEFAULT_ACCENT}; color: #ffffff" in html
    assert re.search(r"此致敬礼\s*\n\s*Harbour Hotel 团队", message.get_body(("plain",)).get_content())


def test_a_logo_gone_since_the_message_was_rendered_does_not_fail_the_mail(smtp, branded, organization, tmp_path):
    guest = CustomerFactory(organization=organization, language="en", home_property=branded)
    touch = due_touch(guest, branded, kind=TouchKind.ISSUE_FOLLOW_UP)
    rendered = messages.render(touch)
    touch.subject, touch.body_text, touch.body_html = rendered.subject, rendered.text, rendered.html
    (tmp_path / branded.logo.name).unlink()  # replaced by another manager meanwhile: deleted after their commit

    message = messages.build(touch).message()

    assert [part.get_content_type() for part in message.get_payload()] == ["text/plain", "text/html"]
