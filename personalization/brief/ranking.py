"""Which remembered preferences are worth mentioning now."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.conf import settings

from crm.models import ContactKind, Preference, PreferenceCategory, Source

C = PreferenceCategory
# What a contact of each kind is about: the categories staff can act on in that moment.
RELEVANT: dict[str | None, frozenset[str]] = {
    ContactKind.ARRIVAL: frozenset({C.ROOM, C.AMENITY, C.DRINK, C.ACCESSIBILITY, C.COMMUNICATION}),
    ContactKind.VISIT: frozenset({C.SEATING, C.FOOD, C.DRINK, C.AMENITY}),
    ContactKind.CALL: frozenset({C.COMMUNICATION, C.ROOM}),
    ContactKind.EMAIL: frozenset({C.COMMUNICATION}),
    ContactKind.CHAT: frozenset({C.COMMUNICATION}),
    ContactKind.DEPARTURE: frozenset({C.COMMUNICATION, C.AMENITY}),
    None: frozenset({C.ROOM, C.SEATING, C.FOOD, C.DRINK, C.AMENITY}),
}
# How sure we are: the customer said it > staff observed it > imported > inferred.
CONFIDENCE = {Source.CUSTOMER: 1.0, Source.STAFF: 0.8, Source.IMPORTED: 0.6, Source.INFERRED: 0.5}
DAYS_PER_MONTH = 30.44


def months_since(moment: datetime, now: datetime) -> float:
    return max(0.0, (now - moment).total_seconds() / 86400 / DAYS_PER_MONTH)


def needs_reconfirmation(last_confirmed_at: datetime, now: datetime) -> bool:
    """A preference not confirmed for RAPPORT_RECONFIRM_AFTER_MONTHS: the brief asks "still true?" (and the
    managers' dashboard counts it as waiting)."""
    return months_since(last_confirmed_at, now) >= settings.RAPPORT_RECONFIRM_AFTER_MONTHS


def reconfirm_cutoff(now: datetime) -> datetime:
    """needs_reconfirmation as a bound for SQL: confirmed at or before this moment."""
    return now - timedelta(days=settings.RAPPORT_RECONFIRM_AFTER_MONTHS * DAYS_PER_MONTH)


def relevance(preference: Preference, *, contact_kind: str | None, property_id: int | None, now: datetime) -> float:
    """A score to sort by: fit to this contact and place, confidence, confirmations, freshness."""
    fit = 1.0 if preference.category in RELEVANT.get(contact_kind, RELEVANT[None]) else 0.3
    here = 0.2 if property_id is not None and preference.recorded_at_property_id == property_id else 0.0
    confirmed = math.log1p(preference.times_confirmed) / math.log(10)  # 9 confirmations ≈ +1
    freshness = 0.5 ** (months_since(preference.last_confirmed_at, now) / 12)  # halves every year
    return 2 * fit + here + CONFIDENCE.get(preference.source, 0.5) + 0.5 * confirmed + freshness
