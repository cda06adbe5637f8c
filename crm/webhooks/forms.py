"""The managers' webhook form: shapes only; the service checks the URL and the events (apply_service_errors)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import EventType


class WebhookForm(forms.Form):
    url = forms.CharField(
        label=_("URL"),
        max_length=2000,
        help_text=_("Where Rapport POSTs each event: https:// on a public address."),
        widget=forms.URLInput(attrs={"placeholder": "https://pms.example.com/rapport-hooks"}),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=EventType.choices, widget=forms.CheckboxSelectMultiple
    )
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)
