"""Guest mails in the property's colours (issue 12), rendered by a real browser as a mail client would: every kind
of mail in English, 简体中文 and 繁體中文, 375 px wide, light and dark; the survey and unsubscribe pages in the brand
under the site's CSP, checked by axe-core; the managers' preview.

Each mail is the message the send path built (Django's test outbox), its HTML part shown with the logo of its
multipart/related part in place of the cid: reference, as mail clients do. Screenshots go to pytest's tmp dir;
with RAPPORT_SCREENSHOTS=1 the follow-up in each language, light and dark, also to docs/mails/."""

from __future__ import annotations

import base64
import io
import os
import re
from pathlib import Path

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from crm import brand, services
from personalization.models import TouchKind
from personalization.touches import messages
from personalization.touches.services.send import Outcome, touches_send
from tests.browser.axe import assert_accessible
from tests.browser.conftest import log_in
from tests.factories import CustomerFactory, StaffFactory
from tests.personalization.touches.conftest import due_touch

pytestmark = pytest.mark.django_db(transaction=True)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "mails"
PHONE = {"width": 375, "height": 740}  # a narrow mail client
ACCENT = "#0b6e4f"
LANGUAGES = {"en": "en-GB", "zh-hans": "zh-Hans-CN", "zh-hant": "zh-Hant-TW"}
SIGNATURES = {"en": "Ana and the front desk team", "zh-hans": "Ana 与前台团队", "zh-hant": "Ana 與前台團隊"}
ADDRESS = "香港九龍彌敦道 1 號\n1 Nathan Road, Kowloon, Hong Kong"
# Words of each language's greeting ("Dear …"): the mail is in the guest's language.
DEAR = {"en": "Dear", "zh-hans": "亲爱的", "zh-hant": "親愛的"}


def rgb(colour: str) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def hex_of(css: str) -> str:
    r, g, b = (int(n) for n in re.findall(r"\d+", css)[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def logo_png() -> bytes:
    image = Image.new("RGBA", (240, 72), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((4, 8, 64, 64), radius=12, fill=(255, 255, 255, 255))
    draw.rectangle((80, 24, 230, 48), fill=(255, 255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def hotel(property_, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return services.property_brand_update(
        property=property_,
        logo=SimpleUploadedFile("logo.png", logo_png(), content_type="image/png"),
        accent_color=ACCENT,
        postal_address=ADDRESS,
    )


def sent_mail(hotel, organization, kind: str, language: str):
    """The message the send path built for a guest of this language: (HTML with the logo inlined, the message)."""
    services.property_brand_update(property=hotel, signature=SIGNATURES[language])
    guest = CustomerFactory(
        organization=organization,
        chen_jing=True,
        language=LANGUAGES[language],
        home_property=hotel,
        consent_marketing=True,  # win-back
        consent_surprises=True,  # birthday, anniversary, delight notice
    )
    touch = due_touch(guest, hotel, kind=kind, key=f"{kind}:{language}")
    mail.outbox.clear()
    assert touches_send(touch_ids=[touch.pk], ignore_quiet_hours=True) == {touch.pk: Outcome.SENT}
    [sent] = mail.outbox
    message = sent.message()
    html = message.get_body(("html",)).get_content()
    for part in message.walk():
        if part["Content-ID"]:
            data = base64.b64encode(part.get_content()).decode()
            html = html.replace(
                f"cid:{part['Content-ID'].strip('<>')}", f"data:{part.get_content_type()};base64,{data}"
            )
    assert "cid:" not in html  # every cid: reference has its part in the message
    return html, message


def colours(page, selector: str) -> dict:
    return page.eval_on_selector(
        selector,
        "e => { const s = getComputedStyle(e); return {color: s.color, background: s.backgroundColor}; }",
    )


def shoot(page, tmp_path: Path, name: str, keep: bool) -> None:
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
    if keep and os.environ.get("RAPPORT_SCREENSHOTS"):
        DOCS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS / f"{name}.jpg"), full_page=True, type="jpeg", quality=70)


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_kind_of_mail_reads_well_narrow_light_and_dark(
    chromium, live_server, hotel, organization, tmp_path, language
):
    palette = brand.palette(ACCENT)
    context = chromium.new_context(viewport=PHONE, locale=LANGUAGES[language])
    page = context.new_page()
    try:
        for kind in sorted(messages.MAIL_KINDS):
            html, message = sent_mail(hotel, organization, kind, language)
            assert SIGNATURES[language] in message.get_body(("plain",)).get_content()  # the text part is signed
            for scheme in ("light", "dark"):
                page.emulate_media(color_scheme=scheme)
                page.set_content(html)
                where = f"{kind} in {language}, {scheme}"

                # The header on the accent colour, the logo shown from inside the message.
                header = colours(page, ".rp-header")
                assert header["background"] == rgb(ACCENT), where
                assert page.eval_on_selector(".rp-header img", "img => img.complete && img.naturalWidth") > 0, where
                # Fluid: nothing wider than the narrow client.
                assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], where
                # The message, its links and its footer read on their background, in either mode.
                card = colours(page, ".rp-card")
                background = hex_of(card["background"])
                assert brand.contrast(hex_of(card["color"]), background) >= 7, where
                dark = brand.luminance(background) < 0.1
                assert dark == (scheme == "dark"), where
                for link in page.query_selector_all("a.rp-link"):
                    link_colour = hex_of(link.evaluate("a => getComputedStyle(a).color"))
                    assert brand.contrast(link_colour, background) >= brand.READABLE, where
                footer = colours(page, ".rp-footer")
                assert brand.contrast(hex_of(footer["color"]), background) >= brand.READABLE, where
                if kind in messages.WITH_SURVEY:
                    button = colours(page, ".rp-score")
                    assert (button["background"], button["color"]) == (rgb(ACCENT), rgb(palette.on_accent)), where
                expect(page.locator(".rp-signature")).to_contain_text(SIGNATURES[language])
                expect(page.locator(".rp-footer")).to_contain_text("1 Nathan Road")
                expect(page.locator(".rp-card").first).to_contain_text(DEAR[language])
                shoot(page, tmp_path, f"{kind}-{language}-{scheme}", keep=kind == TouchKind.ISSUE_FOLLOW_UP)
    finally:
        context.close()
    assert len(list(tmp_path.glob("*.png"))) == 2 * len(messages.MAIL_KINDS)


def test_the_survey_and_unsubscribe_pages_wear_the_brand_and_are_accessible(
    browser_page, live_server, hotel, organization, settings
):
    settings.RAPPORT_PUBLIC_URL = live_server.url
    _html, message = sent_mail(hotel, organization, TouchKind.ISSUE_FOLLOW_UP, "zh-hant")
    text = message.get_body(("plain",)).get_content()
    survey = re.search(re.escape(live_server.url) + r"/t/feedback/[^\s/]+/", text).group()
    unsubscribe = re.search(re.escape(live_server.url) + r"/t/unsubscribe/[^\s/]+/", text).group()
    page = browser_page("zh-TW")
    page.set_viewport_size(PHONE)
    violations = []
    page.on("console", lambda entry: "Content-Security-Policy" in entry.text and violations.append(entry.text))

    for url, title in ((survey, "我們做得怎麼樣？"), (unsubscribe, "退訂")):
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            page.goto(url)
            expect(page.locator("h1")).to_have_text(title)
            header = colours(page, ".brand-header")
            assert header["background"] == rgb(ACCENT)
            # The logo comes from the site itself (img-src 'self'), not a data: or remote URL.
            logo = page.locator(".brand-header img")
            assert logo.get_attribute("src").startswith(f"/brand/{hotel.pk}/")
            assert logo.evaluate("img => img.complete && img.naturalWidth") > 0
            button = colours(page, "main button")
            assert brand.contrast(hex_of(button["color"]), hex_of(button["background"])) >= brand.READABLE
            assert_accessible(page, f"{url.split('/')[4]} page, {scheme}")
    assert violations == []


def test_a_manager_previews_a_follow_up_in_the_brand(browser_page, live_server, hotel, organization):
    StaffFactory(property=hotel, role="manager", user__username="brand.manager")
    page = browser_page()
    log_in(page, "brand.manager")
    page.goto("/touches/")
    page.locator("#brand-links a", has_text=hotel.name).click()
    expect(page.locator("h1")).to_contain_text(hotel.name)
    assert colours(page, "#brand-sample header")["background"] == rgb(ACCENT)

    page.get_by_role("link", name="Preview a follow-up mail").click()
    expect(page.locator(".rp-header img")).to_be_visible()
    assert colours(page, ".rp-header")["background"] == rgb(ACCENT)
    assert page.eval_on_selector(".rp-header img", "img => img.naturalWidth") > 0
    expect(page.locator(".rp-card").first).to_contain_text("Dear Ms García")
