"""Template filters for the staff screens."""

from __future__ import annotations

from django import template

from crm import masking

register = template.Library()


register.filter("mask_phone", masking.mask_phone)
register.filter("mask_email", masking.mask_email)


@register.filter
def choice_label(value: str, kind: str) -> str:
    """The translated label of a stored choice: {{ item.category|choice_label:"category" }}."""
    from crm.models import IssueStatus, Polarity, PreferenceCategory, Severity

    choices = {"category": PreferenceCategory, "polarity": Polarity, "status": IssueStatus, "severity": Severity}
    try:
        return choices[kind](value).label
    except (KeyError, ValueError):
        return value
