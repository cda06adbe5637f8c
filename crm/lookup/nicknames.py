"""English given names and their nicknames (data/nicknames.csv, Apache-2.0; see data/README.md)."""

from __future__ import annotations

import csv
from collections import defaultdict
from functools import cache

from crm.lookup.normalize import DATA


@cache
def _related() -> dict[str, frozenset[str]]:
    related: dict[str, set[str]] = defaultdict(set)
    with open(DATA / "nicknames.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            name, nickname = row["name1"].strip().lower(), row["name2"].strip().lower()
            # Both ways: "Bob" finds Robert, and "Robert" finds a guest who goes by Bob.
            related[name].add(nickname)
            related[nickname].add(name)
    return {name: frozenset(names) for name, names in related.items()}


def related_names(word: str) -> frozenset[str]:
    """Names that may stand for this one: bob → {robert, rob, ...}; kathy → {katherine, kathryn, ...}."""
    return _related().get(word, frozenset())
