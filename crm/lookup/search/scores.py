"""Ranking the candidates: each customer's best weight per word of the query."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from crm.lookup.search.query import WHOLE, Query, Variant
from crm.lookup.terms import PHONETIC_SIGIL, PREFIX_SIGIL
from crm.lookup.vocabulary import max_edits
from crm.models import TermKind

MIN_SCORE = 0.5
PREFIX_FACTOR = 0.85
# A prefix match of a word typed before the last weighs this much less: 0.765, below a word one edit away (0.82
# less 0.002 a rank, crm.lookup.search.CORRECTED), above one two edits away (0.74).
COMPLETE_WORD_PREFIX = 0.9


# A key standing for the whole query that matches only part of a guest's name (the given name 远轩 of 王远轩
# for "yuan xuan") ranks below the guest whose whole name it is (袁轩).
PART_OF_NAME = 0.95
# A Han name's inner part (丽 of 郝光丽: crm.lookup.terms.han_parts) ranks below the guests whose given name it is.
INNER_PART = 0.9
# What a whole-query key's row weighs by its kind (Scores._part), for the statements that rank such rows in the
# database (crm.lookup.search.statements.best_holders_sql).
WHOLE_PART_FACTORS = {TermKind.NAME_PART: INNER_PART, TermKind.NAME: PART_OF_NAME}


class Scores:
    """Best weight per (customer, query slot). A customer's score is the mean over the query's words
    when every word matched ("zhang wei" is not every Zhang), or the whole-query match when better.
    Each customer's last_seen comes with its rows (copied into the terms), for the tie-break."""

    def __init__(self, query: Query) -> None:
        self.query = query
        self.best: dict[int, dict[int, float]] = defaultdict(dict)
        self.exact = defaultdict(list)
        for variant in query.variants:
            self.exact[variant.term].append(variant)
        self.prefixes = [v for v in query.variants if v.prefix]
        self.last_seen: dict[int, float | None] = {}  # seconds since the epoch
        # The best weights without the sound-alike keys: whether the name was found as typed (or as a prefix, a
        # nickname), or only guessed at, which leaves the typo stage to run (crm.lookup.search).
        self.sure: dict[int, dict[int, float]] = defaultdict(dict)
        # The typed words joined, when several: a whole name starting with them holds every word but the last whole,
        # and the last as a prefix (0.925 for two words), what the words one by one score.
        words = len(query.words)
        self.joined = "".join(query.words) if words > 1 else None
        self.joined_prefix = (words - 1 + PREFIX_FACTOR) / words if words > 1 else PREFIX_FACTOR
        self.whole_names: set[int] = set()  # the guests whose whole name is, or starts with, the joined words
        # Rows of a word's index ranges (statements.ranges), counted up to the every-word stage's cap, by those
        # ranges: a statement that counted them on its way (the typo stage's) spares that stage its own.
        self.rows_counted: dict[tuple, int] = {}
        self._ranked: list[tuple[int, float]] | None = None  # ranked(), until a weight changes

    def count(self, ranges: Iterable[tuple], rows: Iterable[int | None]) -> None:
        """Rows counted of a word's ranges (statements.counts_sql's columns); None, a word not counted, is left
        out."""
        self.rows_counted.update((key, n) for key, n in zip(ranges, rows, strict=True) if n is not None)

    def add_variants(self, variants: list[Variant]) -> None:
        """More keys to score the rows against (the typo stage's corrections)."""
        for variant in variants:
            if variant not in self.exact[variant.term]:
                self.exact[variant.term].append(variant)
            if variant.prefix and variant not in self.prefixes:
                self.prefixes.append(variant)

    def _hit(self, customer_id: int, slot: int, weight: float, term: str, *, sure: bool = True) -> None:
        slots = self.best[customer_id]
        if weight > slots.get(slot, 0.0):
            slots[slot] = weight
            self._ranked = None
        if sure and not term.startswith(PHONETIC_SIGIL):
            slots = self.sure[customer_id]
            if weight > slots.get(slot, 0.0):
                slots[slot] = weight

    def _part(self, variant: Variant, kind: int) -> float:
        """PART_OF_NAME when a key standing for the whole query is only part of this guest's name; INNER_PART for
        an inner part of a Han name."""
        if variant.slot == WHOLE or len(self.query.words) == 1:
            return WHOLE_PART_FACTORS.get(kind, 1.0)
        return INNER_PART if kind == TermKind.NAME_PART else 1.0

    def add_term(self, customer_id: int, term: str, kind: int, seen: float | None) -> None:
        if kind == TermKind.PREFIX:  # "^fo": a holder of a term starting with fo
            self.add_prefix(customer_id, term[len(PREFIX_SIGIL) :], seen)
            return
        self.last_seen[customer_id] = seen
        for variant in self.exact.get(term, ()):
            self._hit(customer_id, variant.slot, variant.weight * self._part(variant, kind), variant.term)
            if variant.term == self.joined and kind == TermKind.FULL_NAME:
                self.whole_names.add(customer_id)
        for variant in self.prefixes:
            if term.startswith(variant.term) and term != variant.term:
                self._prefix_hit(customer_id, variant, kind)

    def add_prefix(self, customer_id: int, prefix: str, seen: float | None) -> None:
        """A holder of a term strictly starting with prefix (its PREFIX row, crm.lookup.terms.prefix_keys)."""
        self.last_seen[customer_id] = seen
        for variant in self.prefixes:
            if variant.term == prefix:
                # Every holder of a prefix alike, whichever of its terms: the PREFIX rows do not tell.
                self._prefix_hit(customer_id, variant, None)

    def _prefix_hit(self, customer_id: int, variant: Variant, kind: int | None) -> None:
        """A holder of a name starting with the variant. A word typed before the last one is complete, not being
        typed ("wenxu sun"): its prefix match (Wenxuan Sun) scores below a one-edit correction (Wenxiu Sun) and
        leaves the typo stage to run, unless the word is too short to correct ("j smith")."""
        words = self.query.words
        complete = 0 <= variant.slot < len(words) - 1 and max_edits(words[variant.slot]) > 0
        if variant.slot == WHOLE and variant.term == self.joined and kind == TermKind.FULL_NAME:
            # "zhao huiy" as the start of a whole name (zhaohuiying): what the words one by one would score.
            weight = self.joined_prefix
            self.whole_names.add(customer_id)
        else:
            weight = variant.weight * PREFIX_FACTOR * (COMPLETE_WORD_PREFIX if complete else 1.0)
        self._hit(customer_id, variant.slot, weight, variant.term, sure=not complete)

    def score(self, customer_id: int, *, every_word: bool = True) -> float:
        return self._score(self.best[customer_id], every_word=every_word)

    def sure_best(self) -> float:
        """The best score of a customer matching every word, sound-alike keys left out."""
        return max((self._score(slots, every_word=True) for slots in self.sure.values()), default=0.0)

    def _score(self, slots: dict[int, float], *, every_word: bool) -> float:
        words = len(self.query.words)
        found = [slots.get(slot, 0.0) for slot in range(words)]
        per_word = sum(found) / words if words and (all(found) or not every_word) else 0.0
        return max(slots.get(WHOLE, 0.0), per_word)

    def ranked(self) -> list[tuple[int, float]]:
        """Customers matching every word of the query; when none does, those matching most of it. The search asks
        between its stages, five times for a typo: kept until a weight changes (not to be modified)."""
        if self._ranked is None:
            self._ranked = self._rank()
        return self._ranked

    def _rank(self) -> list[tuple[int, float]]:
        for every_word in (True, False):
            ranked = [
                (cid, score) for cid in self.best if (score := self.score(cid, every_word=every_word)) >= MIN_SCORE
            ]
            if ranked:
                return ranked
        return []
