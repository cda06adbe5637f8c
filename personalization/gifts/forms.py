"""The rule editor's form: field checks, and the service's "could it ever fire" checks shown on the field.

The fields of another trigger than the chosen one are ignored whatever was posted (rules.TRIGGER_FIELDS): the
screen hides them, but the server decides."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from crm.models import Organization
from personalization.gifts.rules import PLACEHOLDERS, TRIGGER_FIELDS, fields_not_of, validate_rule
from personalization.gifts.services.gift_rules import RULE_FIELDS
from personalization.models import GiftRule

EDITABLE = [*RULE_FIELDS, "properties"]

# The editor's sections, in order: (heading, fields). A section whose fields all belong to some triggers
# is shown for those triggers only.
SECTIONS = (
    (_("Rule"), ("name", "trigger", "priority", "active")),
    (_("Birthday or anniversary"), ("window_days",)),
    (_("Nth visit"), ("visit_number",)),
    (_("Return after an absence"), ("absence_days",)),
    (_("After an issue is resolved"), ("min_severity",)),
    (_("Who"), ("properties", "tags", "preference_category", "min_visits")),
    (_("Gift"), ("gift", "cost", "approval_above", "notify_guest")),
    (_("Budget and limits"), ("monthly_budget", "budget_per_property", "cooldown_days", "yearly_cap")),
    (_("Dates"), ("starts_on", "ends_on")),
)


@dataclass(frozen=True)
class Section:
    heading: str
    fields: list[tuple[forms.BoundField, str]]  # each field, and the triggers it is shown for ("": every one)
    triggers: str  # the triggers the whole section is shown for, space-separated; "": every trigger


class TagsField(forms.CharField):
    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return [t.strip() for t in (value or "").split(",") if t.strip()]


class GiftRuleForm(forms.ModelForm):
    tags = TagsField(
        label=_("customer tags (any of)"), required=False, help_text=_("Comma-separated; empty: everyone.")
    )
    cost = forms.DecimalField(label=_("cost"), min_value=Decimal(0), max_digits=10, decimal_places=2, initial=0)
    monthly_budget = forms.DecimalField(
        label=_("monthly budget"),
        min_value=Decimal(0),
        max_digits=10,
        decimal_places=2,
        required=False,
        help_text=_("Empty: no cap."),
    )
    window_days = forms.IntegerField(
        label=_("days before the date"),
        min_value=0,
        max_value=60,
        initial=7,
        help_text=_("Birthday and anniversary: how many days before (0–60)."),
    )
    visit_number = forms.IntegerField(
        label=_("visit number"), min_value=1, required=False, help_text=_("10: on the tenth visit.")
    )
    absence_days = forms.IntegerField(
        label=_("days away"), min_value=1, required=False, help_text=_("Days since the last visit, at least.")
    )
    cooldown_days = forms.IntegerField(
        label=_("cooldown (days)"),
        min_value=0,
        initial=365,
        help_text=_("No second gift of this rule to one guest within these days."),
    )

    class Meta:
        model = GiftRule
        fields = EDITABLE
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
        }
        help_texts = {
            "min_visits": _("Earlier visits the guest must have made."),
            "min_severity": _("Only issues at least this serious."),
            "yearly_cap": _("Empty: no cap."),
            "approval_above": _("A costlier gift waits for a manager to plan it. Empty: never."),
            "preference_category": _("A liked preference of this category. Empty: anyone."),
        }

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organization = organization
        self.fields["properties"].queryset = organization.properties.all()
        self.fields["properties"].help_text = _("None selected: every property.")
        self.fields["gift"].help_text = _("Placeholders: %(list)s") % {
            "list": " ".join(f"{{{p}}}" for p in PLACEHOLDERS)
        }
        for field in self.fields.values():  # sentence case, whatever the model's verbose names say
            field.label = capfirst(field.label)

    def clean(self):
        data = super().clean()
        for name in fields_not_of(data.get("trigger")):
            # Another trigger's field: its value, or its error, is not this rule's. Nullable ones are
            # emptied; the days before a date cannot be null and keep what the rule had.
            self.errors.pop(name, None)
            data[name] = _CLEARED.get(name, getattr(self.instance, name))
        try:
            validate_rule(data, today=timezone.localdate())
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                if field in self.errors:  # already said by the field itself
                    continue
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
        return data

    def sections(self) -> list[Section]:
        """The fields by section, with the triggers each is shown for (the editor's script hides the rest)."""
        result = []
        for heading, names in SECTIONS:
            fields = [(self[name], " ".join(TRIGGER_FIELDS.get(name, ()))) for name in names]
            alike = {triggers for _field, triggers in fields}
            whole = alike.pop() if len(alike) == 1 else ""
            result.append(Section(str(heading), [(f, "" if whole else t) for f, t in fields], whole))
        return result

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in EDITABLE}


_CLEARED = {"visit_number": None, "absence_days": None, "min_severity": "", "min_visits": 0}
