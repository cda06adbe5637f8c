"""Checks of text from outside that every writer (API, screens, admin, imports) meets through the models."""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# Free text (a contact's note, an issue's detail and resolution, a guest's survey comment): room for a
# paragraph, not for a client filling the database and every screen that shows it with one request.
FREE_TEXT_MAX_LENGTH = 2000

# Control characters (tabs, line breaks, NUL, escapes) and the Unicode line and paragraph separators.
_NOT_ON_ONE_LINE = frozenset({"Cc", "Zl", "Zp"})


@deconstructible
class SingleLine:
    """A name, a label or a short text is one line: a line break in a guest's name would end up in an
    email header (and refuse to be sent), a tab or an escape character in a screen."""

    message = _("Control characters and line breaks are not allowed here.")
    code = "control_characters"

    def __call__(self, value: str) -> None:
        if any(unicodedata.category(ch) in _NOT_ON_ONE_LINE for ch in str(value)):
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SingleLine)

    def __hash__(self) -> int:
        return hash(SingleLine)


single_line = SingleLine()

# A TextField's max_length reaches forms and DRF but is not checked by full_clean(): the validator is.
free_text = MaxLengthValidator(FREE_TEXT_MAX_LENGTH)
