"""The imports screen's form: the file, where it comes from, and what each column is (crm.imports.columns)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.imports import columns, parse
from crm.models import Organization, Property


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Guest list (CSV or Excel .xlsx)"),
        help_text=_(
            "UTF-8, UTF-16, GB18030 or Big5; comma, semicolon or tab; at most 50 MB. The first row names the columns."
        ),
    )
    property = forms.ModelChoiceField(
        label=_("Property"),
        queryset=Property.objects.none(),
        required=False,
        help_text=_("Phones without +country are read in its country; new guests belong to it."),
    )

    def __init__(self, *args, organization: Organization, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["property"].queryset = organization.properties.order_by("name")

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > parse.MAX_FILE_BYTES:
            raise forms.ValidationError(_("The file is larger than 50 MB."))
        return file

    def mapping(self) -> dict[str, str]:
        """The column → field the form's selects chose (posted as aligned "column" and "target" lists)."""
        pairs = zip(self.data.getlist("column"), self.data.getlist("target"), strict=False)
        return {
            column: target
            for column, target in list(pairs)[: parse.MAX_COLUMNS]
            if target and columns.valid_target(target)
        }


def target_choices() -> list[tuple[str, str]]:
    return [("", _("— recognized or ignored —")), *((key, str(label)) for key, label in columns.TARGET_LABELS.items())]
