"""A property's look in its guests' mails and pages: which text colour reads on its accent colour, and which shade
of the accent a link may take on a light or a dark background. One place for these rules, so the mails, the
guest pages and the managers' preview agree (WCAG 2.1 relative luminance and contrast ratio)."""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_ACCENT = "#1d3b5a"  # Rapport's own navy: a property that chose nothing looks like the staff screens
LIGHT_TEXT, DARK_TEXT = "#ffffff", "#1d2330"
LIGHT_BACKGROUND, DARK_BACKGROUND = "#ffffff", "#1e2126"  # the mail's card in light and in dark mode
READABLE = 4.5  # WCAG AA for body text
HEX_COLOUR = re.compile(r"#[0-9a-f]{6}")


def _channels(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _hex(channels: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(c):02x}" for c in channels)


def luminance(colour: str) -> float:
    """WCAG relative luminance of a #rrggbb colour (0 black … 1 white)."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _channels(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: str, other: str) -> float:
    """WCAG contrast ratio of two colours, 1 to 21."""
    lighter, darker = sorted((luminance(one), luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_on(accent: str) -> str:
    """White or dark text, whichever reads better on the accent colour."""
    return LIGHT_TEXT if contrast(accent, LIGHT_TEXT) >= contrast(accent, DARK_TEXT) else DARK_TEXT


def _mix(colour: str, towards: str, share: float) -> str:
    a, b = _channels(colour), _channels(towards)
    return _hex(tuple(x + (y - x) * share for x, y in zip(a, b, strict=True)))


def readable_on(accent: str, background: str) -> str:
    """The accent, lightened or darkened just enough to read as link text on background (the accent itself when
    it already does)."""
    towards = "#ffffff" if luminance(background) < 0.5 else "#000000"
    for step in range(11):
        shade = _mix(accent, towards, step / 10)
        if contrast(shade, background) >= READABLE:
            return shade
    return towards


@dataclass(frozen=True)
class Palette:
    accent: str  # the header's and the buttons' background
    on_accent: str  # text on it
    link: str  # links on the light card
    link_dark: str  # links on the dark card (dark mode)


def palette(accent: str | None) -> Palette:
    """The colours of a property's mails and guest pages from its accent colour (Rapport's navy without one)."""
    accent = (accent or DEFAULT_ACCENT).lower()
    return Palette(
        accent=accent,
        on_accent=text_on(accent),
        link=readable_on(accent, LIGHT_BACKGROUND),
        link_dark=readable_on(accent, DARK_BACKGROUND),
    )


def logo_path(property_) -> str:
    """Where the site serves the property's logo (crm.views.property_logo), "" without one: guest pages and the
    managers' screens show it from there, under the pages' CSP (img-src 'self')."""
    from django.urls import reverse

    if not property_ or not property_.logo:
        return ""
    return reverse("crm:property-logo", args=[property_.pk, property_.logo.name.rsplit("/", 1)[-1]])
