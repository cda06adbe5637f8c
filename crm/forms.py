"""Quick forms of the guest card: validation only; the writing is done by the services."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import Contact, Issue, Preference, RecoveryStep

SUBMITTED_KEY = "submitted_form_tokens"
REMEMBERED_TOKENS = 200


class OnceForm(forms.Form):
    """A hidden token that makes a double-submitted form write once (see first_submission)."""

    form_token = forms.CharField(widget=forms.HiddenInput, initial=lambda: uuid.uuid4().hex)


def first_submission(request, token: str) -> bool:
    """True the first time this session submits this token; a second click of the same form is ignored."""
    seen = request.session.get(SUBMITTED_KEY, [])
    if token in seen:
        return False
    request.session[SUBMITTED_KEY] = [*seen, token][-REMEMBERED_TOKENS:]
    return True


class PreferenceForm(OnceForm, forms.ModelForm):
    class Meta:
        model = Preference
        fields = ["category", "text", "polarity", "source"]


class IssueForm(OnceForm, forms.ModelForm):
    class Meta:
        model = Issue
        fields = ["summary", "severity"]


class IssueStepsForm(forms.Form):
    """The recovery steps ticked on the card (the whole list: a box left empty unticks it), and the compensation."""

    steps_done = forms.MultipleChoiceField(
        label=_("Recovery steps done"),
        choices=RecoveryStep.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    compensation = forms.CharField(label=_("Compensation"), max_length=500, required=False)


class IssueResolveForm(forms.Form):
    resolution = forms.CharField(
        label=_("Resolution (for the team)"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    guest_summary = forms.CharField(
        label=_("What the guest may read"),
        max_length=500,
        required=False,
        help_text=_("Shown in the follow-up mail and the survey; empty: a neutral phrase."),
    )
    compensation = forms.CharField(label=_("Compensation"), max_length=500, required=False)


class ContactForm(OnceForm, forms.ModelForm):
    acknowledged = forms.MultipleChoiceField(
        label=_("Safety needs acknowledged"), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Contact
        fields = ["kind", "note", "greeted_by_name", "preference_honored", "delight_delivered"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, safety=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["acknowledged"].choices = [(str(p.pk), p.text) for p in safety]


class EraseForm(forms.Form):
    """The confirmation of an erase: the manager ticks that the named guest is forgotten for good."""

    confirm = forms.BooleanField(
        label=_("I understand: everything about this guest is forgotten for good, and this cannot be undone."),
        required=True,
    )


class MergeForm(forms.Form):
    """The confirmation of a merge, after the side-by-side comparison."""

    confirm = forms.BooleanField(
        label=_("I compared both profiles: they are the same person."),
        required=True,
    )
