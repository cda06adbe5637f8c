"""The history of gift rules and gifts read as sentences in the staff's language: "Ana changed the budget from
30.00 to 40.00.", "Ana limited the rule to Shanghai Bund." — properties by name, values formatted, fields
named as people say them. The records stay as they are (crm's ChangeRecord); only their reading is here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from crm.languages import join_sentences
from crm.models import ChangeAction, ChangeRecord, Organization, PreferenceCategory, Property, Severity
from personalization.models import Delight, GiftRule, Trigger

# How a sentence names each field of a rule.
FIELD_NAMES = {
    "name": gettext_lazy("the name"),
    "trigger": gettext_lazy("the trigger"),
    "window_days": gettext_lazy("the days before the date"),
    "visit_number": gettext_lazy("the visit number"),
    "absence_days": gettext_lazy("the days away"),
    "gift": gettext_lazy("the gift"),
    "cost": gettext_lazy("the cost"),
    "monthly_budget": gettext_lazy("the budget"),
    "cooldown_days": gettext_lazy("the cooldown"),
    "yearly_cap": gettext_lazy("the yearly cap per guest"),
    "approval_above": gettext_lazy("the approval threshold"),
    "tags": gettext_lazy("the customer tags"),
    "preference_category": gettext_lazy("the preference category"),
    "min_visits": gettext_lazy("the minimum visits"),
    "min_severity": gettext_lazy("the minimum issue severity"),
    "starts_on": gettext_lazy("the start date"),
    "ends_on": gettext_lazy("the end date"),
    "priority": gettext_lazy("the priority"),
}
MONEY = {"cost", "monthly_budget", "approval_above"}
DAYS = {"window_days", "absence_days", "cooldown_days"}
DATES = {"starts_on", "ends_on"}
CHOICES = {"trigger": Trigger, "preference_category": PreferenceCategory, "min_severity": Severity}


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    text: str


def _empty(value: Any) -> bool:
    return value in (None, "", [], {})


def _money(value: Any) -> str:
    try:
        return f"{Decimal(str(value)):.2f}"
    except InvalidOperation:
        return str(value)


def _value(field: str, value: Any) -> str:
    if field in MONEY:
        return _money(value)
    if field in DAYS and isinstance(value, int):
        return ngettext("%(n)d day", "%(n)d days", value) % {"n": value}
    if field in DATES:
        try:
            return date_format(date.fromisoformat(str(value)), "DATE_FORMAT")
        except ValueError:
            return str(value)
    if field in CHOICES and value in CHOICES[field].values:
        return str(CHOICES[field](value).label)
    if isinstance(value, list):
        return _list([str(v) for v in value])
    return str(value)


def _list(items: list[str]) -> str:
    return ("、" if get_language() in ("zh-hans", "zh-hant") else ", ").join(items)


class _Reader:
    """Reads records of one organization, with the names they refer to fetched once for all of them."""

    def __init__(self, records: list[ChangeRecord], organization: Organization) -> None:
        property_ids: set[int] = set()
        for record in records:
            for entry in record.entries().get("properties", {}).values():
                property_ids.update(i for i in entry or () if isinstance(i, int))
        self.properties = dict(
            Property.objects.filter(organization=organization, pk__in=property_ids).values_list("pk", "name")
        )
        rule_ids = {r.target_id for r in records if r.target_type == "giftrule"}
        self.rules = dict(GiftRule.objects.filter(organization=organization, pk__in=rule_ids).values_list("pk", "name"))
        delight_ids = {r.target_id for r in records if r.target_type == "delight"}
        self.delights = {
            d.pk: d
            for d in Delight.objects.filter(organization=organization, pk__in=delight_ids).select_related("customer")
        }

    def who(self, record: ChangeRecord) -> str:
        if record.actor is None:
            return _("Rapport")  # a change nobody signed in made: the demo, a command
        return record.actor.get_full_name().strip() or record.actor.get_username()

    def places(self, ids: list[int]) -> str:
        return _list([self.properties.get(i) or _("a property since deleted") for i in ids])

    def line(self, record: ChangeRecord) -> str:
        who = self.who(record)
        entries = record.entries()
        if record.target_type == "delight":
            return self.delight(record, who)
        name = self.rules.get(record.target_id) or _value("name", entries.get("name", {}).get("old", ""))
        if record.action == ChangeAction.GIFT_RULE_CREATE:
            return _("%(who)s created the rule “%(rule)s”.") % {"who": who, "rule": name}
        if record.action == ChangeAction.GIFT_RULE_DELETE:
            return _("%(who)s deleted the rule “%(rule)s”.") % {"who": who, "rule": name}
        sentences = [self.change(who, field, entry) for field, entry in entries.items()]
        return join_sentences([s for s in sentences if s], get_language())

    def change(self, who: str, field: str, entry: dict[str, Any]) -> str:
        old, new = entry.get("old"), entry.get("new")
        if field == "active":
            return (_("%(who)s turned the rule on.") if new else _("%(who)s turned the rule off.")) % {"who": who}
        if field == "budget_per_property":
            if new:
                return _("%(who)s gave each property its own budget.") % {"who": who}
            return _("%(who)s made the budget one for all properties.") % {"who": who}
        if field == "notify_guest":
            if new:
                return _("%(who)s chose to tell the guest ahead.") % {"who": who}
            return _("%(who)s stopped telling the guest ahead.") % {"who": who}
        if field == "properties":
            if _empty(new):
                return _("%(who)s opened the rule to every property.") % {"who": who}
            return _("%(who)s limited the rule to %(places)s.") % {"who": who, "places": self.places(new)}
        if field not in FIELD_NAMES:
            return ""
        named = {"who": who, "field": FIELD_NAMES[field]}
        if _empty(old) and _empty(new):
            return ""
        if _empty(old):
            return _("%(who)s set %(field)s to %(new)s.") % {**named, "new": _value(field, new)}
        if _empty(new):
            return _("%(who)s removed %(field)s (it was %(old)s).") % {**named, "old": _value(field, old)}
        return _("%(who)s changed %(field)s from %(old)s to %(new)s.") % {
            **named,
            "old": _value(field, old),
            "new": _value(field, new),
        }

    def delight(self, record: ChangeRecord, who: str) -> str:
        delight = self.delights.get(record.target_id)
        gift = delight.gift if delight else _("a gift")
        guest = delight.customer.display_name if delight else _("a guest")  # erased guests leave no name
        said = {"who": who, "gift": gift, "guest": guest}
        if record.action == ChangeAction.DELIGHT_OFFER:
            return _("%(who)s offered “%(gift)s” to %(guest)s.") % said
        if record.action == ChangeAction.DELIGHT_PLAN:
            return _("%(who)s planned “%(gift)s” for %(guest)s.") % said
        if record.action == ChangeAction.DELIGHT_DELIVER:
            cost = record.entries().get("cost", {}).get("new")
            return _("%(who)s delivered “%(gift)s” to %(guest)s (%(cost)s).") % {**said, "cost": _money(cost)}
        if record.action == ChangeAction.DELIGHT_DECLINE:
            return _("%(who)s noted “%(gift)s” declined for %(guest)s.") % said
        return f"{who}: {record.get_action_display()}"


def history_lines(records: Iterable[ChangeRecord], *, organization: Organization) -> list[HistoryLine]:
    """Each record as sentences in the active language, in the records' order."""
    records = list(records)
    reader = _Reader(records, organization)
    return [HistoryLine(record.created_at, reader.line(record)) for record in records]
