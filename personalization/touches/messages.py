"""The email of a touch: rendered in the customer's language, from the property's sender, with
signed links (unsubscribe: one per customer; survey: one per touch) that expire.

Look: one HTML template (``personalization/email/base.html``) in the property's brand — its logo (or name) on its
accent colour, its signature and postal address at the foot (``Property`` brand fields, ``crm.brand`` for the
colours) — built of tables with inline styles as mail clients need, at most 600 px wide and fluid below, with dark
mode rules. The logo travels inside the message (multipart/related, referenced by ``cid:``): it shows offline and
in clients that load no remote images. The plain-text part says the same, signed the same.

Sender: ``Property.sender_email`` when set, else the address of ``DEFAULT_FROM_EMAIL``; the display
name is always the property's name, so a guest sees where the message comes from.
"""

from __future__ import annotations

import email.headerregistry
import email.policy
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from email.utils import formataddr, make_msgid, parseaddr

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from crm import brand
from crm.models import Customer, Property
from personalization.models import Touch, TouchKind

log = logging.getLogger(__name__)
UNSUBSCRIBE_SALT = "personalization.touches.unsubscribe"
FEEDBACK_SALT = "personalization.touches.feedback"
# Kinds that are mails (a staff task is never sent).
MAIL_KINDS = frozenset(kind for kind in TouchKind if kind != TouchKind.STAFF_TASK)
# Kinds whose message asks "how did we do?" with a link to the 1–5 score page.
WITH_SURVEY = frozenset({TouchKind.ISSUE_FOLLOW_UP, TouchKind.CSAT_SURVEY})


def unsubscribe_token(customer: Customer) -> str:
    return signing.dumps({"c": customer.pk}, salt=UNSUBSCRIBE_SALT, compress=True)


def feedback_token(touch: Touch) -> str:
    return signing.dumps({"t": touch.pk}, salt=FEEDBACK_SALT, compress=True)


# Clocks of the web and worker machines may differ a little; a link signed further ahead than this was not
# made by Rapport's sender and is refused (its max age would otherwise start in the future).
SIGNED_CLOCK_SKEW = timedelta(minutes=5)


def _loads(token: str, *, salt: str, max_age: timedelta) -> dict:
    """The signed value of a token no older than max_age and not dated in the future; raises
    signing.BadSignature (SignatureExpired) otherwise."""
    value = signing.loads(token, salt=salt, max_age=max_age)
    signed_at = signing.b62_decode(token.rsplit(":", 2)[1])
    if signed_at > time.time() + SIGNED_CLOCK_SKEW.total_seconds():
        raise signing.BadSignature("Signature dated in the future")
    return value


def read_unsubscribe_token(token: str) -> int:
    """The customer id of a valid token; raises signing.BadSignature (SignatureExpired) otherwise."""
    max_age = timedelta(days=settings.RAPPORT_UNSUBSCRIBE_MAX_AGE_DAYS)
    return int(_loads(token, salt=UNSUBSCRIBE_SALT, max_age=max_age)["c"])


def read_feedback_token(token: str) -> int:
    max_age = timedelta(days=settings.RAPPORT_FEEDBACK_MAX_AGE_DAYS)
    return int(_loads(token, salt=FEEDBACK_SALT, max_age=max_age)["t"])


def _absolute(path: str) -> str:
    return f"{settings.RAPPORT_PUBLIC_URL}{path}"


def unsubscribe_url(customer: Customer) -> str:
    return _absolute(reverse("touches:unsubscribe", args=[unsubscribe_token(customer)]))


def feedback_url(touch: Touch) -> str:
    return _absolute(reverse("touches:feedback", args=[feedback_token(touch)]))


def sender_of(touch: Touch) -> str:
    default_name, default_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    property_ = touch.property
    address = (property_.sender_email if property_ else "") or default_address
    return formataddr((property_.name if property_ else default_name, address))


def _subject(touch: Touch, name: str, place: str) -> str:
    subjects = {
        TouchKind.ISSUE_FOLLOW_UP: _("%(name)s, is everything all right now?"),
        TouchKind.THANK_YOU: _("Thank you for your visit, %(name)s"),
        TouchKind.BIRTHDAY: _("Happy birthday, %(name)s!"),
        TouchKind.ANNIVERSARY: _("Happy anniversary, %(name)s!"),
        TouchKind.WIN_BACK: _("We miss you at %(place)s, %(name)s"),
        TouchKind.CSAT_SURVEY: _("How did we do, %(name)s?"),
        TouchKind.DELIGHT_NOTICE: _("A little something for you, %(name)s"),
        TouchKind.PRE_ARRIVAL: _("%(name)s, anything we can prepare for your stay?"),
    }
    return subjects[touch.kind] % {"name": name, "place": place}


class _Headers(email.headerregistry.HeaderRegistry):
    """The standard header classes, each made once: HeaderRegistry makes a new class with type() for
    every header of every message, a quarter of the cost of building one."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        if key not in self._made:
            self._made[key] = super().__getitem__(key)
        return self._made[key]


_HEADERS = _Headers()


@dataclass(frozen=True)
class InlineImage:
    cid: str  # without the angle brackets
    data: bytes
    subtype: str  # png, jpeg


class TouchEmail(EmailMultiAlternatives):
    """Headers folded at RFC 5322's hard limit (998): at the usual 78 a long List-Unsubscribe URL
    becomes RFC 2047 encoded-words, which mail clients do not decode in that header.

    ``inline_image`` (the logo) goes beside the HTML part as multipart/related:
    alternative(text, related(html, image))."""

    inline_image: InlineImage | None = None

    def message(self, *, policy=email.policy.default):
        msg = super().message(policy=policy.clone(max_line_length=998, header_factory=_HEADERS))
        image = self.inline_image
        html = msg.get_body(("html",)) if image is not None else None
        if html is not None:
            html.add_related(
                image.data,
                maintype="image",
                subtype=image.subtype,
                cid=f"<{image.cid}>",
                disposition="inline",
                filename=f"logo.{'jpg' if image.subtype == 'jpeg' else image.subtype}",
            )
        return msg


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def logo_cid(touch: Touch) -> str:
    """The Content-ID the HTML part names the logo by (``cid:…``); the same at render and at build."""
    _name, address = parseaddr(sender_of(touch))
    return f"logo.touch{touch.pk}@{address.rpartition('@')[2] or 'localhost'}"


def brand_context(property_: Property | None, place: str, *, logo_src: str) -> dict:
    """What the mail's frame shows of the property: colours, logo (when it has one), signature and address."""
    return {
        "palette": property_.palette() if property_ else brand.palette(None),
        "logo_src": logo_src if property_ and property_.logo else "",
        "signature": property_.signature if property_ else "",
        "address_lines": [line for line in (property_.postal_address if property_ else "").split("\n") if line],
        "place": place,
    }


def _render(touch: Touch, *, logo_src: str, links: bool) -> Rendered:
    customer = touch.customer
    name = customer.address_name()
    place = touch.property.name if touch.property else customer.organization.name
    context = {
        **brand_context(touch.property, place, logo_src=logo_src),
        "touch": touch,
        "name": name,
        "issue": touch.issue,
        # What the guest may read about the issue (its guest summary), never its internal summary.
        "guest_words": touch.issue.guest_words if touch.issue else "",
        "gift": touch.delight.gift if touch.delight else "",
        "stay": touch.stay,
        "feedback_url": (feedback_url(touch) if links else "#") if touch.kind in WITH_SURVEY else "",
        "unsubscribe_url": unsubscribe_url(customer) if links else "#",
        "scores": range(1, 6),
    }
    return Rendered(
        subject=_subject(touch, name, place),
        text=render_to_string(f"personalization/email/{touch.kind}.txt", context).strip() + "\n",
        html=render_to_string(f"personalization/email/{touch.kind}.html", context),
    )


def render(touch: Touch) -> Rendered:
    """Subject, text and HTML bodies of the touch, in the customer's language."""
    with translation.override(touch.customer.message_language()):
        return _render(touch, logo_src=f"cid:{logo_cid(touch)}", links=True)


# The guest of a preview, in each language a guest reads (crm.languages).
SAMPLE_GUESTS = {
    "en": {"given_name": "Ana", "family_name": "García", "salutation": "Ms"},
    "zh-hans": {"given_name": "静", "family_name": "陈"},
    "zh-hant": {"given_name": "靜", "family_name": "陳"},
}


def preview(property_: Property, *, kind: str, language: str, logo_src: str) -> Rendered:
    """A message of this kind as the property's guests would read it in language, for a sample guest: what a
    manager sees before a guest does. Its links lead nowhere; the logo is at logo_src (a URL of the site)."""
    guest = Customer(organization=property_.organization, language=language, **SAMPLE_GUESTS[language])
    touch = Touch(organization=property_.organization, customer=guest, property=property_, kind=kind)
    with translation.override(guest.message_language()):
        return _render(touch, logo_src=logo_src, links=False)


def new_message_id(touch: Touch) -> str:
    _name, address = parseaddr(sender_of(touch))
    return make_msgid(idstring=f"touch-{touch.pk}", domain=address.rpartition("@")[2] or "localhost")


def build(touch: Touch, connection=None) -> EmailMultiAlternatives:
    """The message as stored on the touch (the same Message-ID on every attempt)."""
    message = TouchEmail(
        subject=touch.subject,
        body=touch.body_text,
        from_email=sender_of(touch),
        to=[touch.customer.email],
        connection=connection,
        headers={
            "Message-ID": touch.message_id,
            "List-Unsubscribe": f"<{unsubscribe_url(touch.customer)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "X-Rapport-Touch": str(touch.pk),
        },
    )
    message.attach_alternative(touch.body_html, "text/html")
    message.inline_image = _logo_of(touch)
    return message


def _logo_of(touch: Touch) -> InlineImage | None:
    """The property's logo, when the stored HTML names it (it was rendered with one)."""
    logo = touch.property.logo if touch.property else None
    cid = logo_cid(touch)
    if not logo or f"cid:{cid}" not in touch.body_html:
        return None
    try:
        with logo.open("rb") as file:
            data = file.read()
    except OSError:
        # Replaced or removed since the message was rendered (its file deleted after that commit): the mail goes
        # without it, showing the property's name (the image's alt text), rather than failing.
        log.warning("touch %s: the logo %s is gone; sent without it", touch.pk, logo.name)
        return None
    return InlineImage(cid=cid, data=data, subtype="jpeg" if logo.name.endswith(".jpg") else "png")
