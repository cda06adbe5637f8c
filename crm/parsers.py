"""The API's JSON parser: DRF's, refusing what no client of Rapport sends and Python would choke on."""

from __future__ import annotations

import codecs
import json
import math

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# No request of the API nests deeper than a few levels (a list of external ids, a mapping); 32 leaves room.
MAX_DEPTH = 32


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text[:20]}")
    return value


def _bounded(text: str) -> int:
    value = int(text)
    if not -(2**63) <= value < 2**63:  # beyond any id or count the database can hold
        raise ValueError(f"number out of range: {text[:20]}")
    return value


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _too_deep(data, limit: int) -> bool:
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                return True
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)
    return False


class StrictJSONParser(JSONParser):
    """400 instead of a server error for a body nested thousands deep (a RecursionError in the decoder), a
    number beyond any float (1e999 becomes infinity, then an OverflowError in a query) or any 64-bit integer,
    NaN or Infinity."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.load(
                codecs.getreader(encoding)(stream),
                parse_float=_finite,
                parse_int=_bounded,
                parse_constant=_refuse_constant,
            )
        except RecursionError:
            raise ParseError(_("JSON parse error: nested too deeply.")) from None
        except ValueError as exc:
            raise ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from exc
        if _too_deep(data, MAX_DEPTH):
            raise ParseError(_("JSON parse error: nested too deeply."))
        return data
