"""The words of a query read one by one (the every-word stage) and the walks it shares with the prefixes: which
guests hold every word, at a cost bounded however many guests hold each. The search (crm.lookup.search) calls
every_word when no whole name is or starts with the words typed."""

from __future__ import annotations

from django.db import connection

from crm.lookup.search.query import Query, Variant
from crm.lookup.search.scores import PREFIX_FACTOR, Scores
from crm.lookup.search.statements import (
    anchor_walk_sql,
    count_sql,
    counts_sql,
    either,
    every_word_sql,
    exact_part,
    exact_terms,
    ranges,
    run,
    terms_of_sql,
    walk_sql,
)
from crm.lookup.terms import PREFIX_SIGIL, is_prefix_key
from crm.models import Organization

# Rows of one word of several, counted from the index alone, past which it counts as common: the words with fewer
# are read whole and their customers intersected in the database (a hash of ~0.2 µs a row); a common one is probed
# per candidate instead (~8 buffers a probe), or, when every word is common, the most recent guests are walked.
# Measured at a million guests (2026-12-03): "Marietta Gonzalez" (~7,400 candidates of the given name and its
# nicknames) each probed for Gonzalez: the lookup took 176 ms with a cap of 10,000 rows, 31 ms with this one.
RANGE_ROWS = 50_000
# When every word of several has more rows than this, the longest is walked, not read whole (every_word and
# anchor_walk_sql): its holders in index order, each probed for the other words, until the page fills.
FEW_ROWS = 1000
# The anchor's holders a first walk looks at (every_word): enough to fill a page where many hold every word ("wei j":
# ~70 probes). When it does not, and it found fewer than FIRST_WALK_DENSE (at that rate the whole walk, ten times
# longer, would not fill the page either), a rare word's candidates are read next — what a longer walk finds is
# replaced by them — and only when every word is common is the walk taken on to WALK_ROWS. "john mih" at a million
# guests (john and min, ~11,000 and ~12,500 rows, two holding both): 37 ms with one walk of 5,000, of which the walk
# was 20 ms and found what the intersection found again; 18 ms now.
FIRST_WALK_ROWS = 500
FIRST_WALK_DENSE = 2
# Candidates of one rare word probed for the other words at most (its first rows in index order: the word as typed,
# most recent first, then its sound-alikes and prefixes): about the cost of one walk.
CHECK_ROWS = 5000
# The same, of a word no guest holds (`unheld`: the vocabulary knows it as no one's name word, "mayu" of "mayu
# wang"): its rows are the holders of longer names starting with it, then of its sound-alike key — guesses, ranked
# below any correction of the typo stage that follows. "mayu wang" at a million guests probed 5,000 of them for wang,
# 11 ms; at ten million, on disk, 150 ms.
GUESSED_CHECK_ROWS = 1000
# A candidate checked for a word (a probe of its ~20 terms, ~7 µs at a million guests) costs about what reading
# 20 of the word's rows does (~0.3 µs each): a word is read whole when it has at most this many times the rows of
# the rarest word counted so far, under a fifth of the cost of checking that word's candidates (rare_word).
PROBE_RATIO = 5


def common_rows() -> int | None:
    """Rows read of one prefix or word before it counts as common. PostgreSQL then walks the most recent guests
    (walk_sql); SQLite, the embedded default and small by design, reads every row instead (no LATERAL)."""
    return RANGE_ROWS if connection.vendor == "postgresql" else None


def every_word(
    organization: Organization, query: Query, scores: Scores, limit: int, unheld: frozenset[str] = frozenset()
) -> frozenset[str]:
    """The customers matching *every* word ("anna smith": not the Smiths in general, but the Smiths whose
    other term starts with anna). Each word's rows are counted first, up to FEW_ROWS + 1 (one statement): a word
    nobody holds ends the stage ("edwdrds" of "daniel edwdrds", before the typo stage corrects it), where reading
    the other words' holders would find no one. When even the rarest word has more than FEW_ROWS rows ("wei j",
    "li g": a surname, and a given name being typed), its holders are walked in its terms' index order (the most recent
    first), each probed for the other words, until `limit` match. Otherwise, or when that walk runs out, a word
    with at most RANGE_ROWS rows is read whole and its customers are the candidates; when every word is common,
    the most recent guests are walked until `limit` match, and no word is read whole: the work is bounded by the
    two walks (WALK_ROWS guests each), whatever the number of guests. The counts come from the statement that
    read the corrected whole names when it counted these words already (counts). Returns the typed words that have
    no rows (counted on PostgreSQL; on SQLite none is said to have none)."""
    words = [variants for slot in range(len(query.words)) if (variants := query.per_word_at(slot))]
    parts = [ranges(variants) for variants in words]
    conditions = [either(word) for word in parts]
    any_word = either([part for word in parts for part in word])
    cap = common_rows()
    small = None
    if cap is not None:
        # A word already counted without rows (the typo stage counts the words it could not find) ends the stage
        # before the others are counted.
        known = [scores.rows_counted.get(ranges_key(word)) for word in parts]
        counted = known if 0 in known else counts(organization, parts, scores)
        if not all(counted):
            return frozenset(query.words[words[n][0].slot] for n, rows in enumerate(counted) if rows == 0)
        # The word with the fewest rows, when at most FEW_ROWS: its customers are few enough to be the candidates.
        fewest = min(range(len(parts)), key=lambda number: counted[number])
        small = fewest if counted[fewest] <= FEW_ROWS else None
    found = []
    anchored = None  # the anchor's word and the other words' conditions, when its holders were walked
    if cap is not None and small is None:
        # The anchor: the longest word (the likeliest to be complete, where the last one is still being typed).
        anchor = max(range(len(words)), key=lambda number: len(query.words[words[number][0].slot]))
        others = [condition for number, condition in enumerate(conditions) if number != anchor]
        # Its word as typed only: a nickname, a sound-alike or a swap scores less, and places only when fewer
        # than a page hold the word itself (then the walk runs out and the candidates are read whole below). A word
        # that is no guest's name word (`unheld`, from the typo stage's vocabulary: "matthe" of "matthe baker") is
        # not walked: it would run out at once.
        typed = query.words[words[anchor][0].slot]
        if typed not in unheld:
            anchored = (typed, others)
            found = anchor_rows(organization, typed, others, any_word, limit, FIRST_WALK_ROWS)
    if anchored and FIRST_WALK_DENSE <= _guests(found) < limit:
        # Dense enough that the whole walk is likely to fill the page ("li g"): taken on before any word is counted.
        found, anchored = anchor_rows(organization, *anchored, any_word, limit), None
    rare = [number == small for number in range(len(parts))]
    if _guests(found) < limit and small is None:
        rare = rare_word(organization, query, words, parts, cap)
        if not any(rare):
            # Every word common: the two walks are the bound — the anchor's to WALK_ROWS holders, then the most
            # recent guests. Reading every holder of every word to intersect them grew with the guests ("ji hou
            # kim": 581 ms at ten million, docs/benchmarks.md); a guest holding every word who is neither among the
            # anchor's best holders nor among the most recent guests is left to the stages after this one (the
            # corrections, the whole names they make).
            if anchored:  # the first walk stopped at FIRST_WALK_ROWS holders
                found = anchor_rows(organization, *anchored, any_word, limit)
            if _guests(found) < limit:
                found = [*found, *walk_rows(organization, conditions, any_word, limit)]
            rare = []
    if any(rare) and _guests(found) < limit:  # a rare word bounds the candidates
        # The rare words' customers, intersected; each other word checked per candidate. One rare word's candidates
        # are probed one by one: at most CHECK_ROWS of them (PostgreSQL), the best first, or the probes would grow
        # with its holders ("mayu wang": mayu and its sound-alikes, thousands at a million guests, each probed for
        # wang).
        sets = [word for word, is_rare in zip(parts, rare, strict=True) if is_rare]
        checks = [c for c, is_rare in zip(conditions, rare, strict=True) if not is_rare]
        bound = CHECK_ROWS if cap is not None and len(sets) == 1 and checks else None
        if bound:
            word = words[rare.index(True)]
            if query.words[word[0].slot] in unheld:
                bound = GUESSED_CHECK_ROWS
            sets = [best_first(word, sets[0])]
        every = every_word_sql(organization, sets, checks, first_rows=bound)
        found = run(*terms_of_sql(organization, every, any_word), for_its_values=True)
    for row in found:
        scores.add_term(*row)
    return frozenset()


def counts(organization: Organization, words: list[list[tuple[str, list]]], scores: Scores) -> list[int | None]:
    """Each word's rows up to FEW_ROWS + 1: those the search has not counted yet, in one statement (None: not
    counted, another word having none)."""
    keys = [ranges_key(parts) for parts in words]
    missing = [number for number, key in enumerate(keys) if key not in scores.rows_counted]
    if missing:
        counted = run(*counts_sql(organization, [words[number] for number in missing], FEW_ROWS))[0]
        scores.count((keys[number] for number in missing), counted)
    return [scores.rows_counted.get(key) for key in keys]


def ranges_key(parts: list[tuple[str, list]]) -> tuple:
    """A word's ranges as a key (an exact_part's terms are one list parameter)."""
    return tuple((sql, tuple(tuple(p) if isinstance(p, list) else p for p in params)) for sql, params in parts)


def rare_word(
    organization: Organization, query: Query, words: list[list[Variant]], parts: list, cap: int | None
) -> list[bool]:
    """Which words bound the candidates (read whole and intersected; the others are checked per candidate): each
    with at most `cap` rows (SQLite: every word), counted longest typed word first. Once one is rare with n rows,
    the next is counted only up to PROBE_RATIO × n: past that, checking the n candidates costs less than reading
    it — "huamin zhen" counted zhen's 50,000 rows (zheng…) in 16 ms to learn it was common, after huamin's 2,000."""
    rare = [cap is None] * len(parts)
    if cap is None:
        return rare
    ceiling = cap
    for number in sorted(range(len(parts)), key=lambda n: -len(query.words[words[n][0].slot])):
        rows_counted = run(*count_sql(organization, parts[number], ceiling))[0][0]
        if rows_counted <= ceiling:
            rare[number] = True
            ceiling = min(ceiling, PROBE_RATIO * rows_counted)
    return rare


def best_first(variants: list[Variant], parts: list[tuple[str, list]]) -> list[tuple[str, list]]:
    """One word's ranges() with its exact terms ordered by what a holder scores (the word as typed first, then its
    nicknames, its sound-alike key, its PREFIX row), for statements.every_word._first_rows."""
    weight: dict[str, float] = {}
    for variant in variants:
        weight[variant.term] = max(weight.get(variant.term, 0.0), variant.weight)
        if variant.prefix and is_prefix_key(variant.term):
            key = PREFIX_SIGIL + variant.term
            weight[key] = max(weight.get(key, 0.0), variant.weight * PREFIX_FACTOR)
    terms = sorted(exact_terms(parts[0]), key=lambda term: (-weight.get(term, 0.0), term))
    return [exact_part(terms), *parts[1:]]


def anchor_rows(
    organization: Organization,
    anchor: str,
    conditions: list[tuple[str, list]],
    matching: tuple[str, list],
    limit: int,
    rows: int | None = None,
) -> list:
    """The terms matching `matching` of the anchor term's `limit` best holders, of its first `rows` (None: as many as
    a walk looks at), that satisfy every condition (anchor_walk_sql)."""
    walked = anchor_walk_sql(organization, anchor, conditions, limit, rows)
    return run(*terms_of_sql(organization, walked, matching), for_its_values=True)


def walk_rows(
    organization: Organization, conditions: list[tuple[str, list]], matching: tuple[str, list], limit: int
) -> list:
    """The terms matching `matching` of the `limit` most recent guests that satisfy every condition."""
    return run(*terms_of_sql(organization, walk_sql(organization, conditions, limit), matching), for_its_values=True)


def _guests(rows: list) -> int:
    """How many guests rows of terms (customer_id first) belong to."""
    return len({row[0] for row in rows})
