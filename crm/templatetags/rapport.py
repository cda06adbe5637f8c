"""Template filters for the staff screens."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def mask_phone(phone: str) -> str:
    """+8613800138000 → "…8000": enough to tell two guests apart, not enough to copy."""
    return f"…{phone[-4:]}" if phone else ""


@register.filter
def mask_email(email: str) -> str:
    """zhang.wei@example.cn → "z•••@example.cn"."""
    if not email or "@" not in email:
        return ""
    local, domain = email.split("@", 1)
    return f"{local[:1]}•••@{domain}"


@register.filter
def choice_label(value: str, kind: str) -> str:
    """The translated label of a stored choice: {{ item.category|choice_label:"category" }}."""
    from crm.models import IssueStatus, Polarity, PreferenceCategory, Severity

    choices = {"category": PreferenceCategory, "polarity": Polarity, "status": IssueStatus, "severity": Severity}
    try:
        return choices[kind](value).label
    except (KeyError, ValueError):
        return value
