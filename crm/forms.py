"""Quick forms of the guest card: validation only; the writing is done by the services."""

from __future__ import annotations

import uuid

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from crm.models import Contact, Customer, Issue, NameOrder, Preference, Property, RecoveryStep
from crm.models.tenancy import MAX_PRE_ARRIVAL_DAYS
from crm.partial_dates import PartialDate
from crm.services.properties import BRAND_FIELDS

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


# Limits of the API's tags (crm.serializers), said again here for the screens' form.
MAX_TAGS = 50
MAX_TAG_LENGTH = 50


def language_choices(current: str = "") -> list[tuple[str, str]]:
    """The languages Rapport writes in, each in its own script (English, 简体中文, 繁體中文); a guest's other BCP 47
    tag (fr-CA, zh-Hant-TW) is offered as it is, so saving the form does not change it."""
    choices = [(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES]
    if current and current.lower() not in {code for code, _label in choices}:
        choices.append((current, current))
    return choices


class PartialDateFormField(forms.CharField):
    """A birthday or anniversary as the API takes it: "YYYY-MM-DD" or "MM-DD" (year unknown)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = []  # the length is the date's shape, checked by PartialDate.parse
        self.widget.attrs.update({"maxlength": "10", "placeholder": "YYYY-MM-DD / MM-DD", "inputmode": "numeric"})

    def prepare_value(self, value):
        return str(value) if isinstance(value, PartialDate) else value

    def to_python(self, value):
        text = super().to_python(value)
        return PartialDate.parse(text) if text else None


class TagsField(forms.CharField):
    """Tags typed as "VIP, business": a list, each at most MAX_TAG_LENGTH characters, at most MAX_TAGS."""

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        tags = list(dict.fromkeys(t.strip() for t in (super().to_python(value) or "").split(",") if t.strip()))
        if len(tags) > MAX_TAGS:
            raise ValidationError(_("At most %(n)d tags.") % {"n": MAX_TAGS}, code="too_many")
        if any(len(tag) > MAX_TAG_LENGTH for tag in tags):
            raise ValidationError(_("A tag holds at most %(n)d characters.") % {"n": MAX_TAG_LENGTH}, code="long")
        return tags


def _char(model_field: str, **kwargs) -> forms.CharField:
    field = Customer._meta.get_field(model_field)
    return forms.CharField(label=field.verbose_name, max_length=field.max_length, required=False, **kwargs)


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's refusal on the form's fields it names (the rest above the form)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        form.add_error(name if name in form.fields and name != NON_FIELD_ERRORS else None, errors)


class CustomerProfileForm(OnceForm):
    """A guest's profile on the screens (every field the API writes, crm.services.customers.CUSTOMER_FIELDS):
    validation of the shapes only; the service normalizes and refuses (apply_service_errors)."""

    given_name = _char("given_name")
    family_name = _char("family_name")
    name_order = forms.ChoiceField(label=_("name order"), choices=NameOrder.choices, required=False)
    native_name = _char("native_name", help_text=_("As the guest writes it, e.g. 陳靜 or José Álvarez."))
    latin_name = _char("latin_name")
    preferred_name = _char("preferred_name")
    salutation = _char("salutation")
    pronunciation = _char("pronunciation", help_text=_("A respelling staff can read aloud, e.g. SHIV-awn."))
    pronunciation_ipa = _char("pronunciation_ipa")
    pronunciation_note = _char("pronunciation_note")
    language = forms.ChoiceField(label=_("preferred language"), choices=())
    email = forms.EmailField(label=_("email"), max_length=254, required=False)
    phone = forms.CharField(label=_("phone"), max_length=32, required=False)
    birthday = PartialDateFormField(
        label=_("birthday"), required=False, help_text=_("YYYY-MM-DD, or MM-DD without the year.")
    )
    anniversary = PartialDateFormField(
        label=_("anniversary"), required=False, help_text=_("YYYY-MM-DD, or MM-DD without the year.")
    )
    tags = TagsField(label=_("tags"), required=False, help_text=_("Separated by commas, e.g. VIP, business."))
    consent_service = forms.BooleanField(label=_("service messages allowed"), required=False)
    consent_marketing = forms.BooleanField(label=_("marketing messages allowed"), required=False)
    consent_surprises = forms.BooleanField(label=_("surprises allowed"), required=False)
    do_not_contact = forms.BooleanField(label=_("do not contact"), required=False)
    home_property = forms.ModelChoiceField(label=_("home property"), queryset=None, required=False)

    def __init__(self, *args, organization, current_language: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = language_choices(current_language)
        self.fields["home_property"].queryset = organization.properties.order_by("name")

    def service_fields(self) -> dict:
        """The cleaned values for customer_create / customer_update (blank name order left to the model)."""
        data = {k: v for k, v in self.cleaned_data.items() if k in self.fields and k != "form_token"}
        if not data.get("name_order"):
            data.pop("name_order", None)
        return data

    def apply_service_errors(self, exc: ValidationError) -> None:
        apply_service_errors(self, exc)

    @classmethod
    def initial_of(cls, customer: Customer) -> dict:
        return {name: getattr(customer, name) for name in cls.base_fields if name != "form_token"} | {
            "home_property": customer.home_property_id
        }


class NewGuestForm(CustomerProfileForm):
    """A walk-in added from the lookup: the fields a desk asks for at once; the rest is on the card."""

    SHOWN = (
        "family_name",
        "given_name",
        "native_name",
        "name_order",
        "preferred_name",
        "salutation",
        "language",
        "email",
        "phone",
        "birthday",
        "consent_marketing",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in list(self.fields):
            if name not in (*self.SHOWN, "form_token"):
                del self.fields[name]
        self.order_fields(self.SHOWN)


class PronunciationAudioForm(forms.Form):
    """The guest's recording of their name: the file (recorded in the browser and put here by guestcard.js, or
    chosen without JavaScript) and their consent; crm.services.customer_pronunciation_record checks both."""

    audio = forms.FileField(
        label=_("Recording of the guest saying their name"),
        widget=forms.FileInput(attrs={"accept": "audio/*"}),
    )
    consent = forms.BooleanField(label=_("The guest agreed to be recorded"), required=False)


class PropertyBrandForm(forms.Form):
    """A property's brand on the managers' screen: the shapes only; crm.services.property_brand_update checks the
    logo (PNG or JPEG, size), the colour and the address, and its refusals are shown on these fields."""

    logo = forms.FileField(
        label=_("logo"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg"}),
        help_text=_("PNG or JPEG, at most 512 KB; shown at most 48 pixels high on the accent colour."),
    )
    remove_logo = forms.BooleanField(label=_("remove the logo (show the property's name instead)"), required=False)
    accent_color = forms.CharField(
        label=_("accent colour"),
        max_length=7,
        widget=forms.TextInput(attrs={"type": "color"}),
        help_text=Property.accent_color.field.help_text,
    )
    postal_address = forms.CharField(
        label=_("postal address"),
        required=False,
        max_length=Property.postal_address.field.max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=Property.postal_address.field.help_text,
    )
    signature = forms.CharField(
        label=_("signature"),
        required=False,
        max_length=Property.signature.field.max_length,
        help_text=Property.signature.field.help_text,
    )
    pre_arrival_days = forms.IntegerField(
        label=_("pre-arrival mail, days before arrival"),
        required=False,
        min_value=1,
        max_value=MAX_PRE_ARRIVAL_DAYS,
        help_text=Property.pre_arrival_days.field.help_text,
    )

    @classmethod
    def initial_of(cls, property_: Property) -> dict:
        return {name: getattr(property_, name) for name in BRAND_FIELDS}
