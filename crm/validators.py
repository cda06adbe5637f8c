"""Checks of text from outside that every writer (API, screens, admin, imports) meets through the models."""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, RegexValidator
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# Free text (a contact's note, an issue's detail and resolution, a guest's survey comment): room for a
# paragraph, not for a client filling the database and every screen that shows it with one request.
FREE_TEXT_MAX_LENGTH = 2000

# Control characters (tabs, line breaks, NUL, escapes) and the Unicode line and paragraph separators.
_NOT_ON_ONE_LINE = frozenset({"Cc", "Zl", "Zp"})
# The same characters as a pattern (Cc is U+0000–U+001F and U+007F–U+009F, fixed by Unicode's stability policy;
# Zl and Zp are U+2028 and U+2029): one regular-expression search instead of a category per character, for the
# imports' hundreds of thousands of cells (tests/test_validators.py checks the two agree).
_NOT_ON_ONE_LINE_PATTERN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@deconstructible
class _ControlCharacters:
    """A validator that refuses some control characters; every instance of one kind equals another (migrations)."""

    code = "control_characters"
    message: str

    def refuses(self, value: str) -> bool:
        raise NotImplementedError

    def __call__(self, value: str) -> None:
        if self.refuses(str(value)):
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))


class SingleLine(_ControlCharacters):
    """A name, a label or a short text is one line: a line break in a guest's name would end up in an
    email header (and refuse to be sent), a tab or an escape character in a screen."""

    message = _("Control characters and line breaks are not allowed here.")

    def refuses(self, value: str) -> bool:
        return _NOT_ON_ONE_LINE_PATTERN.search(value) is not None


single_line = SingleLine()

# A TextField's max_length reaches forms and DRF but is not checked by full_clean(): the validator is.
free_text = MaxLengthValidator(FREE_TEXT_MAX_LENGTH)


class MultiLine(_ControlCharacters):
    """A few lines (a postal address): line breaks are allowed, every other control character (tabs, NUL, escapes,
    carriage returns, the Unicode line and paragraph separators) is not."""

    message = _("Control characters are not allowed here (line breaks are).")

    def refuses(self, value: str) -> bool:
        return any(ch != "\n" and unicodedata.category(ch) in _NOT_ON_ONE_LINE for ch in value)


multi_line = MultiLine()

# A colour as mails and style sheets take it: "#" and six hexadecimal digits, stored in lower case.
hex_colour = RegexValidator(
    r"\A#[0-9a-f]{6}\Z",
    message=_("Enter a colour as # and six hexadecimal digits, e.g. #1d3b5a."),
    code="invalid_colour",
)
