"""What a gift rule may say: its placeholders, and the checks that refuse a rule that can never fire."""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from crm.models import SAFETY_CATEGORIES, Customer, Polarity, Preference, PreferenceCategory
from personalization.models import Trigger

NAME_PLACEHOLDERS = ("preferred_name", "given_name", "family_name")
# {favorite_drink}, {favorite_food}, ...: the guest's top "likes" of that category. Never allergies or diets.
FAVORITE_CATEGORIES = tuple(c for c in PreferenceCategory.values if c not in SAFETY_CATEGORIES and c != "other")
PLACEHOLDERS = NAME_PLACEHOLDERS + tuple(f"favorite_{c}" for c in FAVORITE_CATEGORIES)

# Fields that mean something for some triggers only (every other field is for every trigger): the editor
# shows them for those triggers and ignores them when posted for another.
TRIGGER_FIELDS: dict[str, tuple[str, ...]] = {
    "window_days": (Trigger.BIRTHDAY, Trigger.ANNIVERSARY),
    "visit_number": (Trigger.NTH_VISIT,),
    "absence_days": (Trigger.RETURN_AFTER_ABSENCE,),
    "min_severity": (Trigger.ISSUE_RESOLVED,),
    # A first visit has no earlier visits to count.
    "min_visits": tuple(t for t in Trigger.values if t != Trigger.FIRST_VISIT),
}


def fields_not_of(trigger: str | None) -> list[str]:
    """The trigger-specific fields that do not belong to this trigger (all of them when none is chosen)."""
    return [name for name, triggers in TRIGGER_FIELDS.items() if trigger not in triggers]


@lru_cache(maxsize=256)
def placeholders_of(template: str) -> tuple[str, ...]:
    """The placeholder names a gift template uses; ValidationError on a typo or anything but {name}. Parsed once
    per text: the arrivals board fills the same few rules' gifts for hundreds of guests."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValidationError(
            _("Unbalanced braces: write placeholders as {preferred_name}; a literal brace as {{ or }}."),
            code="invalid",
        ) from exc
    names = []
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            raise ValidationError(
                _("Unknown placeholder {%(name)s}. Use one of: %(known)s.")
                % {"name": name, "known": ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)},
                code="unknown_placeholder",
            )
        names.append(name)
    return tuple(names)


def favorites_said(template: str) -> list[str]:
    """The categories whose favourite a gift text says ({favorite_drink}: drink), filled from the guest's likes."""
    return [name.removeprefix("favorite_") for name in placeholders_of(template) if name.startswith("favorite_")]


def top_likes(preferences: Iterable[Preference]) -> dict[str, str]:
    """The favourite of each category: the "likes" confirmed most often, then most recently."""
    best: dict[str, Preference] = {}
    for p in preferences:
        if p.polarity != Polarity.LIKES or p.category not in FAVORITE_CATEGORIES:
            continue
        current = best.get(p.category)
        if current is None or (p.times_confirmed, p.last_confirmed_at, p.pk) > (
            current.times_confirmed,
            current.last_confirmed_at,
            current.pk,
        ):
            best[p.category] = p
    return {category: p.text for category, p in best.items()}


def fill(template: str, *, customer: Customer, favorites: Mapping[str, str]) -> str | None:
    """The gift text for this customer, or None when a placeholder cannot be filled (then no suggestion)."""
    needed = placeholders_of(template)
    if not needed:
        return template.format_map({})  # "{{" and "}}" still become braces
    names = {
        "preferred_name": customer.address_name,  # the costliest: asked only when the text says it
        "given_name": lambda: customer.given_name,
        "family_name": lambda: customer.family_name,
    }
    values: dict[str, str] = {}
    for name in needed:
        value = names[name]() if name in names else favorites.get(name.removeprefix("favorite_"), "")
        if not value:
            return None
        values[name] = value
    return template.format_map(values)


def validate_rule(data: Mapping[str, Any], *, today: date) -> None:
    """Refuse a rule that can never fire or says something unknown, with a message on the field to fix.

    data holds the rule's fields after the change (a PATCH merged onto the stored rule)."""
    errors: dict[str, list[str]] = {}

    def error(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    trigger = data.get("trigger")
    if trigger not in Trigger.values:
        error("trigger", _("Choose one of: %(choices)s.") % {"choices": ", ".join(Trigger.values)})
    try:
        placeholders_of(data.get("gift") or "")
    except ValidationError as exc:
        error("gift", exc.messages[0])
    window = data.get("window_days")
    if window is not None and not 0 <= window <= 60:
        error("window_days", _("Between 0 and 60 days."))
    if trigger == Trigger.NTH_VISIT and (data.get("visit_number") or 0) < 1:
        error("visit_number", _("Which visit? A number from 1 (the first visit)."))
    if trigger == Trigger.RETURN_AFTER_ABSENCE and (data.get("absence_days") or 0) < 1:
        error("absence_days", _("How many days away count as an absence? At least 1."))
    for field in ("cost", "monthly_budget", "approval_above"):
        value = data.get(field)
        if value is not None and Decimal(value) < 0:
            error(field, _("Cannot be negative."))
    if (data.get("cooldown_days") or 0) < 0:
        error("cooldown_days", _("Cannot be negative."))
    cost, budget = data.get("cost") or Decimal(0), data.get("monthly_budget")
    if budget is not None and 0 <= Decimal(budget) < Decimal(cost):
        error("monthly_budget", _("Below the cost of one gift: the rule could never be suggested."))
    starts, ends = data.get("starts_on"), data.get("ends_on")
    if ends is not None and starts is not None and ends < starts:
        error("ends_on", _("Ends before it starts."))
    elif ends is not None and ends < today and data.get("active", True):
        error("ends_on", _("Already over: an active rule with this end date could never fire."))
    min_visits = data.get("min_visits") or 0
    if trigger == Trigger.FIRST_VISIT and min_visits > 0:
        error("min_visits", _("A first visit has no earlier visits: leave the minimum at 0."))
    if trigger == Trigger.NTH_VISIT and data.get("visit_number") and min_visits >= data["visit_number"]:
        error(
            "min_visits",
            _("Visit %(n)s comes after %(m)s earlier visits at most: lower the minimum.")
            % {"n": data["visit_number"], "m": data["visit_number"] - 1},
        )
    if data.get("min_severity") and trigger != Trigger.ISSUE_RESOLVED:
        error("min_severity", _("Only for the “after an issue is resolved” trigger."))
    tags = data.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        error("tags", _("A list of tag names."))
    if errors:
        raise ValidationError(errors)
