"""What a lookup that found nobody says about the new guest: the typed text → the fields it pre-fills.

The text goes into the fields as it was typed — never folded, converted between scripts or re-cased (names
as entered): the lookup's normalizer is only asked where a Han family name ends (han_names, on the simplified
form, the same split the search terms use), and the typed characters are cut there."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from crm import languages
from crm.lookup.normalize import HAN_RUN, han_names, has_han, is_japanese_or_korean, without_titles
from crm.phones import digits

PHONE_LIKE = re.compile(r"^\+?[\d\s().\-]{4,}$")
MIN_PHONE_DIGITS = 4


def fields_from_lookup(text: str) -> dict[str, str]:
    """ "陳靜" → native_name 陳靜, family_name 陳, given_name 靜, family first; "Siobhán O'Connor" → given
    Siobhán, family O'Connor; "O'Connor, Siobhán" the same; one Latin word → the family name (what a desk
    asks first); an email → email; phone digits → phone; a courtesy title is not part of the name ("Mr Okonkwo",
    欧阳先生: without_titles). Unknown shapes pre-fill nothing."""
    text = " ".join(without_titles(text).split())
    if not text:
        return {}
    if "@" in text:
        try:
            validate_email(text)
        except ValidationError:
            return {}
        return {"email": text}
    if PHONE_LIKE.match(text) and len(digits(text)) >= MIN_PHONE_DIGITS:
        return {"phone": text}
    if has_han(text) and not is_japanese_or_korean(text):
        return _han_fields(text)
    if "," in text:
        family, _comma, given = text.partition(",")
        return {k: v for k, v in {"family_name": family.strip(), "given_name": given.strip()}.items() if v}
    words = text.split(" ")
    if len(words) == 1:
        return {"family_name": text}
    return {"given_name": " ".join(words[:-1]), "family_name": words[-1]}


def _han_fields(text: str) -> dict[str, str]:
    parts = text.split()
    # Written family name, a space, given name (田中 直樹, 陳 靜): kept as written.
    apart = len(parts) == 2 and all(HAN_RUN.fullmatch(part) for part in parts)
    name = "".join(parts) if apart else HAN_RUN.findall(text.replace(" ", "").replace("\u3000", ""))[0]
    fields = {"native_name": " ".join(parts) if apart else name, "name_order": "family_first"}
    if len(name) > 1:
        # Split where the search terms split it (han_names: at a written space, else after the Chinese surname),
        # the typed characters cut there.
        family = len(han_names(text)[0].family)
        fields |= {"family_name": name[:family], "given_name": name[family:]}
    # A guess staff can change; none for a name the same in both scripts (王芳).
    if language := languages.written_in(name):
        fields["language"] = language
    return fields
