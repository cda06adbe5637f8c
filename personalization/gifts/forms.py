"""The rule editor's form: field checks, and the service's "could it ever fire" checks shown on the field."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Organization
from personalization.gifts.rules import PLACEHOLDERS, validate_rule
from personalization.gifts.services.gift_rules import RULE_FIELDS
from personalization.models import GiftRule

EDITABLE = [*RULE_FIELDS, "properties"]


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
    window_days = forms.IntegerField(label=_("days before the date"), min_value=0, max_value=60, initial=7)
    visit_number = forms.IntegerField(label=_("visit number"), min_value=1, required=False)
    absence_days = forms.IntegerField(label=_("days away"), min_value=1, required=False)
    cooldown_days = forms.IntegerField(label=_("cooldown (days)"), min_value=0, initial=365)

    class Meta:
        model = GiftRule
        fields = EDITABLE
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organization = organization
        self.fields["properties"].queryset = organization.properties.all()
        self.fields["properties"].help_text = _("None selected: every property.")
        self.fields["gift"].help_text = _("Placeholders: %(list)s") % {
            "list": " ".join(f"{{{p}}}" for p in PLACEHOLDERS)
        }

    def clean(self):
        data = super().clean()
        try:
            validate_rule(data, today=timezone.localdate())
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                if field in self.errors:  # already said by the field itself
                    continue
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
        return data

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in EDITABLE}
