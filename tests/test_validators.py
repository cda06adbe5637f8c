"""The checks of text from outside (crm.validators)."""

from __future__ import annotations

import sys
import unicodedata

import pytest
from django.core.exceptions import ValidationError

from crm.validators import _NOT_ON_ONE_LINE, single_line


def test_single_line_refuses_exactly_the_control_characters_and_the_line_and_paragraph_separators():
    # given every code point, when each is checked alone, then the pattern refuses exactly Cc, Zl and Zp
    refused = set()
    for code in range(sys.maxunicode + 1):
        try:
            single_line(chr(code))
        except ValidationError:
            refused.add(code)
    expected = {code for code in range(sys.maxunicode + 1) if unicodedata.category(chr(code)) in _NOT_ON_ONE_LINE}
    assert refused == expected


@pytest.mark.parametrize("text", ["Ann\tBell", "a\nb", "NUL\x00", "\x85next line", "line\u2028sep", "esc\x1b[0m"])
def test_single_line_refuses_a_name_with_a_control_character(text):
    with pytest.raises(ValidationError):
        single_line(text)


def test_single_line_takes_names_in_every_script():
    for text in ("José O'Connor-Smith", "张伟", "歐陽娜娜", "山田花子", "김민준", "Zoë\u00a0Ng"):
        single_line(text)
