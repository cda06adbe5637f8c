"""Query → ranked customer ids: analyze what was typed (query), retrieve candidates by index (statements), rank
them (scores). This module holds the order of the stages and when each one runs."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from itertools import product

from django.db import connection

from crm import rows
from crm.lookup.nicknames import related_names
from crm.lookup.search.query import MAX_QUERY_LENGTH, WHOLE, Query, Variant, analyze
from crm.lookup.search.scores import PREFIX_FACTOR, WHOLE_PART_FACTORS, Scores
from crm.lookup.search.statements import (
    EXACT_PART,
    UPPER,
    anchor_walk_sql,
    best_holders_sql,
    count_sql,
    counted_with_sql,
    counts_sql,
    either,
    every_word_sql,
    exact_sql,
    prefix_sql,
    prefixes_sql,
    ranges,
    run,
    terms_of_sql,
    walk_sql,
    winners_sql,
)
from crm.lookup.terms import EMAIL_SIGIL, PHONETIC_SIGIL, PREFIX_KEYS, PREFIX_SIGIL, is_prefix_key
from crm.lookup.vocabulary import Correction, corrections, is_word, unheld
from crm.models import Customer, Organization, TermKind

# Rows of one word of several, counted from the index alone, past which it counts as common: the words with fewer
# are read whole and their customers intersected in the database (a hash of ~0.2 µs a row); a common one is probed
# per candidate instead (~8 buffers a probe), or, when every word is common, the most recent guests are walked.
# Measured at a million guests (2026-12-03): "Marietta Gonzalez" (~7,400 candidates of the given name and its
# nicknames) each probed for Gonzalez: the lookup took 176 ms with a cap of 10,000 rows, 31 ms with this one.
RANGE_ROWS = 50_000
# A prefix longer than the PREFIX rows (crm.lookup.terms.PREFIX_KEYS) with more rows than this is walked: the holders
# of its first characters, most recent first, each probed for it (~3 buffers a holder); with fewer, its rows are
# read whole and ranked in the database (~0.5 µs a row).
PREFIX_RANGE_ROWS = 2000
# When every word of several has more rows than this, the longest is walked, not read whole (_every_word and
# anchor_walk_sql): its holders in index order, each probed for the other words, until the page fills.
FEW_ROWS = 1000
# The anchor's holders a first walk looks at (_every_word): enough to fill a page where many hold every word ("wei j":
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
# A candidate checked for a word (a probe of its ~20 terms, ~7 µs at a million guests) costs about what reading
# 20 of the word's rows does (~0.3 µs each): a word is read whole when it has at most this many times the rows of
# the rarest word counted so far, under a fifth of the cost of checking that word's candidates (_rare_word).
PROBE_RATIO = 5
RESULT_LIMIT = 20  # a lookup box shows the best few; the API pages through at most these
# The typo stage runs when no guest matched every word this well, sound-alike keys left out: a prefix of a name
# being typed (0.8075 for one word) or a nickname do; a guess by sound does not.
FUZZY_BELOW = 0.8
# A word corrected by one edit or two weighs this (the typed word itself, when a guest holds it, 1.0): above a
# sound-alike key (0.7), so "Jahn Smith" finds John Smith before Jon and Jane; less RANK_STEP for each more common
# candidate before it, so that of two words at one edit the one more guests hold comes first.
CORRECTED = {0: 1.0, 1: 0.82, 2: 0.74}
RANK_STEP = 0.002


def search(*, organization: Organization, text: str, limit: int = RESULT_LIMIT) -> list[Customer]:
    """The organization's customers (not merged away) matching text, best first: by score, then the most recent
    visit, then the newest; each with its ids in other systems prefetched."""
    query = analyze(text)
    if not query.variants:
        return []
    scores = Scores(query)
    several = len(query.words) > 1
    # Whole-query keys first (a full name, a phone, an email): selective, and usually the answer. One word whose
    # whole-query keys weigh less than 1.0 (an email's local part: "cynthia", "wa") leaves the per-word keys to run
    # whatever those find: both in the one statement (a round trip less on most keystrokes of a name).
    first = query.whole()
    at_once = len(query.words) == 1 and all(variant.weight < 1.0 for variant in first)
    _lookup(organization, query.variants if at_once else first, scores, limit)
    corrected = False
    if not any(score >= 1.0 for _, score in scores.ranked()):
        near = None
        if several and not scores.ranked() and query.name_words():
            # No whole name matched, and a word is held by no guest: a typo, corrected first (cheap: the corrected
            # whole names), so that its sound-alike key — thousands of guests for "qink yang" — is not read.
            near = corrections(organization.pk, query.name_words())
            if _misspelt(query, near):
                # The words as typed are read next, prefixes and all (what the corrected whole names score stays
                # below a whole name starting with them, scores.joined_prefix): counted with the corrections.
                typed = _as_typed(query, prefixes=True)
                corrected = _corrected(organization, query, scores, limit, near, typed=typed)
        # Then the per-word keys, to fill the page ("johnson" alone matches thousands). Once a whole name was
        # matched (Robert Smith for "Bob Smith" by a nickname, 0.925; a correction, 0.91), only the words as typed
        # can place a guest above it (a middle name between them, Bob Lee Smith): the nicknames and sound-alikes
        # are not read; nor the typed words' prefixes when the whole name scores what a prefix could at most
        # (scores.joined_prefix: Jack Martinez for "jack martin", 0.925).
        # One word keeps every key: its whole-query matches (an email's local part) say nothing of its names.
        top = max((score for _, score in scores.ranked()), default=0.0)
        prefixes = top < scores.joined_prefix
        per_word = _as_typed(query, prefixes=prefixes) if top and several else query
        nobody: frozenset[str] = frozenset()
        if not several:
            if not at_once:  # else read with the whole-query keys
                _lookup(organization, per_word.per_word(), scores, limit)
        elif not scores.whole_names and query.name_words():
            # Several words of a name (not an email's: nobody.4467@nowhere.example is not three names), and no
            # whole name is or starts with them joined ("zhao huiy": Zhao Huiying, found from the index by its key
            # zhaohuiying, scores what its words would): the words one by one.
            walked = unheld(query.words, near) if near else frozenset()
            none = _every_word(organization, per_word, scores, limit, walked)
            # The words that have no rows even as the start of a longer term: as the typo stage would read them, when
            # their prefixes were counted (what it reads of a word it cannot correct, with its nicknames).
            nobody = none if prefixes else frozenset()
        if not corrected and scores.sure_best() < FUZZY_BELOW and query.name_words():
            _corrected(organization, query, scores, limit, near, nobody)
    ranked = scores.ranked()
    if several and not ranked and query.name_words():
        # Any word of several as typed ("Mr Zhang", "John Okonkwo"): the lenient last resort, after the corrections
        # (whose matches of every word would rank above it anyway). Each word's best holders from the index, one
        # statement; its prefixes and sound-alikes are not read (walking john*'s holders took 11 ms at a million).
        _lookup(organization, _as_typed(query, prefixes=False).per_word(), scores, limit)
        ranked = scores.ranked()
    best = sorted(ranked, key=lambda item: _order(item[0], item[1], scores.last_seen.get(item[0])))[:limit]
    if not best:
        return []
    found = dict(best)
    # Each with its ids in other systems, which the API's list shows (crm.rows.instances_with).
    winners = rows.instances_with(Customer, "external_ids", run(*winners_sql(organization, found)))
    # The page in the order of the guests' own last visit: their terms' copy may be seconds behind a contact
    # (crm.lookup.terms.visits_copy).
    return sorted(winners, key=lambda c: _order(c.pk, found[c.pk], c.last_seen.timestamp() if c.last_seen else None))


def _as_typed(query: Query, *, prefixes: bool) -> Query:
    """The query without its nickname and sound-alike keys (weighed below a word as typed), and without its
    prefixes unless asked."""
    variants = [replace(v, prefix=v.prefix and prefixes) for v in query.variants if v.weight >= 1.0]
    return Query(words=query.words, variants=variants)


def _misspelt(query: Query, near: dict[str, list[Correction]]) -> bool:
    """Whether a typed word is held by no guest and has corrections."""
    return any(near.get(word) and near[word][0].edits for word in query.words)


# Scores are compared to this many decimals: two that round alike tie, and the most recent visit breaks the tie.
SCORE_DECIMALS = 3


def _order(customer_id: int, score: float, seen: float | None) -> tuple:
    """The documented tie-break: score, then the most recent visit (never seen last), then the newest."""
    return (-round(score, SCORE_DECIMALS), seen is None, -(seen or 0.0), -customer_id)


def _lookup(organization: Organization, variants: list[Variant], scores: Scores, limit: int) -> None:
    """Customers matching any of the variants: each exact term's `limit` best in index order (a full name before a
    part of one, then the most recent), then the prefix ranges when those can still take a place."""
    if not variants:
        return
    terms = sorted({v.term for v in variants})
    prefixes = sorted({v.term for v in variants if v.prefix})
    if not prefixes:
        for row in run(*exact_sql(organization, terms, limit)):
            scores.add_term(*row)
        return
    # The exact terms and every prefix's best holders in one statement (a round trip cost more than reading a
    # prefix's rows that turn out not to be needed). A longer prefix ("zhangw", "christ") held by more than
    # PREFIX_RANGE_ROWS rows, counted from the index alone, comes back without rows: its rows are in term order, not
    # by visit, so the holders of its first characters' PREFIX rows, most recent first, are probed for it until the
    # page fills (a phone's digits, which have no PREFIX rows: the recent guests).
    cap = PREFIX_RANGE_ROWS if _cap() is not None else None
    # A prefix match scores at most `reach`. When `limit` guests already score more, no prefix row can place: the
    # statement reads no longer prefix while the `enough` term's best rows (as exact_sql reads them) are `limit`
    # guests who do (prefixes_sql's enough). One word: any holder of its strongest prefix's own term (a prefix scores
    # PREFIX_FACTOR of its weight, a holder at least INNER_PART of it). Several words: a guest whose full name is a
    # whole-query term weighing more than any prefix reaches ("Wáng Zhēn", "wang zhen": those named 王振 outrank
    # Wang Zhenhua, whose name only starts with the words joined); a part of a name may not (scores.INNER_PART).
    reach = max(_prefix_reach(v, scores) for v in variants if v.prefix)
    if len(scores.query.words) == 1:
        enough = max((v for v in variants if v.prefix), key=lambda v: v.weight).term
        enough_kind = TermKind.NAME_PART
    else:
        whole = [
            v for v in variants if v.slot == WHOLE and round(v.weight, SCORE_DECIMALS) > round(reach, SCORE_DECIMALS)
        ]
        enough = max(whole, key=lambda v: (v.weight, v.term)).term if whole else None
        enough_kind = TermKind.FULL_NAME
    counts: dict[int, int | None] = {}
    found_of: dict[int, list] = defaultdict(list)
    statement = prefixes_sql(organization, prefixes, limit, cap, exact=terms, enough=enough, enough_kind=enough_kind)
    for number, count, *row in run(*statement):
        counts[number] = count
        if row[0] is not None:
            found_of[number].append(row)
    for row in found_of[EXACT_PART]:
        scores.add_term(*row)
    if _settled(scores, reach, limit):
        return
    held = {row[0] for row in found_of[EXACT_PART] if row[1] == enough and row[2] >= enough_kind}
    if enough is not None and len(held) >= limit:
        return  # the prefixes were not read, and could not place
    walks = []
    for number, prefix in enumerate(prefixes):
        if is_prefix_key(prefix):
            # Short ("w", "zha"): its PREFIX rows hand out the `limit` most recent holders, in index order.
            for customer_id, _, _, seen in found_of[number]:
                scores.add_prefix(customer_id, prefix, seen)
        elif cap is not None and (counts.get(number) or 0) > cap:
            walks.append(prefix)
        else:
            for row in found_of[number]:
                scores.add_term(*row)
    # The common prefixes walked, the one a match of scores most first: a walk is skipped once a page of guests
    # outranks what its matches can score ("kenn": a page of Kenneths found by the name's walk leaves @kenn…, an
    # email's start, unwalked — 0.5 to 1.6 ms at a million guests).
    reach_of = {
        prefix: max(_prefix_reach(v, scores) for v in variants if v.prefix and v.term == prefix) for prefix in walks
    }
    for prefix in sorted(walks, key=lambda prefix: (-reach_of[prefix], prefix)):
        if _settled(scores, reach_of[prefix], limit):
            break
        condition = ("(term > %s AND term < %s)", [prefix, prefix + UPPER])
        stem = _stem(prefix)
        if stem is None:
            found = _walk_rows(organization, [condition], condition, limit)
        else:
            found = _anchor_rows(organization, stem, [condition], condition, limit)
        if len({row[0] for row in found}) < limit:  # the walk ran out before the page filled
            found = run(*prefix_sql(organization, prefix, limit), for_its_values=True)
        for row in found:
            scores.add_term(*row)


def _settled(scores: Scores, reach: float, limit: int) -> bool:
    """Whether `limit` guests score strictly more than `reach` (compared as the page compares them, _order): then no
    match scoring at most that can place — one tying with the page's last score might, by a more recent visit."""
    above = round(reach, SCORE_DECIMALS)
    return sum(round(score, SCORE_DECIMALS) > above for _, score in scores.ranked()) >= limit


def _prefix_reach(variant: Variant, scores: Scores) -> float:
    """What a guest matching the variant as a prefix scores at most (scores.Scores._prefix_hit): PREFIX_FACTOR of
    its weight; the typed words joined, as the start of a whole name, what the words one by one would."""
    most = variant.weight * PREFIX_FACTOR
    return max(most, scores.joined_prefix) if variant.term == scores.joined else most


def _stem(prefix: str) -> str | None:
    """The PREFIX row that every holder of a longer prefix holds: "^zha" for "zhangw"; None for a phone's digits."""
    sigil = 1 if prefix.startswith(EMAIL_SIGIL) else 0
    stem = prefix[: sigil + PREFIX_KEYS]
    return PREFIX_SIGIL + stem if is_prefix_key(stem) else None


def _cap() -> int | None:
    """Rows read of one prefix or word before it counts as common. PostgreSQL then walks the most recent guests
    (walk_sql); SQLite, the embedded default and small by design, reads every row instead (no LATERAL)."""
    return RANGE_ROWS if connection.vendor == "postgresql" else None


def _every_word(
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
    read the corrected whole names when it counted these words already (_counts). Returns the typed words that have
    no rows (counted on PostgreSQL; on SQLite none is said to have none)."""
    words = [variants for slot in range(len(query.words)) if (variants := query.per_word_at(slot))]
    parts = [ranges(variants) for variants in words]
    conditions = [either(word) for word in parts]
    any_word = either([part for word in parts for part in word])
    cap = _cap()
    small = None
    if cap is not None:
        # A word already counted without rows (the typo stage counts the words it could not find) ends the stage
        # before the others are counted.
        known = [scores.rows_counted.get(_ranges_key(word)) for word in parts]
        counted = known if 0 in known else _counts(organization, parts, scores)
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
            found = _anchor_rows(organization, typed, others, any_word, limit, FIRST_WALK_ROWS)
    if anchored and FIRST_WALK_DENSE <= len({row[0] for row in found}) < limit:
        # Dense enough that the whole walk is likely to fill the page ("li g"): taken on before any word is counted.
        found, anchored = _anchor_rows(organization, *anchored, any_word, limit), None
    rare = [number == small for number in range(len(parts))]
    if len({row[0] for row in found}) < limit and small is None:
        rare = _rare_word(organization, query, words, parts, cap)
        if not any(rare):
            # Every word common: the two walks are the bound — the anchor's to WALK_ROWS holders, then the most
            # recent guests. Reading every holder of every word to intersect them grew with the guests ("ji hou
            # kim": 581 ms at ten million, docs/benchmarks.md); a guest holding every word who is neither among the
            # anchor's best holders nor among the most recent guests is left to the stages after this one (the
            # corrections, the whole names they make).
            if anchored:  # the first walk stopped at FIRST_WALK_ROWS holders
                found = _anchor_rows(organization, *anchored, any_word, limit)
            if len({row[0] for row in found}) < limit:
                found = [*found, *_walk_rows(organization, conditions, any_word, limit)]
            rare = []
    if any(rare) and len({row[0] for row in found}) < limit:  # a rare word bounds the candidates
        # The rare words' customers, intersected; each other word checked per candidate. One rare word's candidates
        # are probed one by one: at most CHECK_ROWS of them (PostgreSQL), the best first, or the probes would grow
        # with its holders ("mayu wang": mayu and its sound-alikes, thousands at a million guests, each probed for
        # wang).
        sets = [word for word, is_rare in zip(parts, rare, strict=True) if is_rare]
        checks = [c for c, is_rare in zip(conditions, rare, strict=True) if not is_rare]
        bound = CHECK_ROWS if cap is not None and len(sets) == 1 and checks else None
        if bound:
            sets = [_best_first(words[rare.index(True)], sets[0])]
        every = every_word_sql(organization, sets, checks, first_rows=bound)
        found = run(*terms_of_sql(organization, every, any_word), for_its_values=True)
    for row in found:
        scores.add_term(*row)
    return frozenset()


def _counts(organization: Organization, words: list[list[tuple[str, list]]], scores: Scores) -> list[int]:
    """Each word's rows up to FEW_ROWS + 1: those the search has not counted yet, in one statement."""
    keys = [_ranges_key(parts) for parts in words]
    missing = [number for number, key in enumerate(keys) if key not in scores.rows_counted]
    if missing:
        counted = run(*counts_sql(organization, [words[number] for number in missing], FEW_ROWS))[0]
        scores.rows_counted.update((keys[number], rows) for number, rows in zip(missing, counted, strict=True))
    return [scores.rows_counted[key] for key in keys]


def _ranges_key(parts: list[tuple[str, list]]) -> tuple:
    return tuple((sql, tuple(params)) for sql, params in parts)


def _rare_word(
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


def _best_first(variants: list[Variant], parts: list[tuple[str, list]]) -> list[tuple[str, list]]:
    """One word's ranges() with its exact terms ordered by what a holder scores (the word as typed first, then its
    nicknames, its sound-alike key, its PREFIX row), for statements._first_rows."""
    weight: dict[str, float] = {}
    for variant in variants:
        weight[variant.term] = max(weight.get(variant.term, 0.0), variant.weight)
        if variant.prefix and is_prefix_key(variant.term):
            key = PREFIX_SIGIL + variant.term
            weight[key] = max(weight.get(key, 0.0), variant.weight * PREFIX_FACTOR)
    (sql, terms), prefixes = parts[0], parts[1:]
    return [(sql, sorted(terms, key=lambda term: (-weight.get(term, 0.0), term))), *prefixes]


def _anchor_rows(
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


def _walk_rows(
    organization: Organization, conditions: list[tuple[str, list]], matching: tuple[str, list], limit: int
) -> list:
    """The terms matching `matching` of the `limit` most recent guests that satisfy every condition."""
    return run(*terms_of_sql(organization, walk_sql(organization, conditions, limit), matching), for_its_values=True)


def _corrected(
    organization: Organization,
    query: Query,
    scores: Scores,
    limit: int,
    near: dict[str, list[Correction]] | None = None,
    nobody: frozenset[str] = frozenset(),
    typed: Query | None = None,
) -> bool:
    """The typo stage: each typed word corrected against the vocabulary of name words (one statement, see
    crm.lookup.vocabulary; `near`, when the caller has read it already), then the search with the corrections,
    each slot any of its corrections, weighed by their edits (CORRECTED). Several words: first the corrected
    words joined, as whole names (one index probe each, _whole_corrected); only when no guest's whole name is one
    of them, every word of several. A word without corrections (too short, or nothing near) keeps its own keys;
    when no word has a correction the stage ends there. It ends there too when a typed word is one of `nobody`
    (no guest holds it, nor a term starting with it: the caller counted them) and has neither a correction nor a
    nickname: no guest would hold every word ("Robert Okonkwo" at a million guests: robert's corrections, roberto
    and roberta, joined with okonkwo and then counted word by word, two statements that could find no one).
    typed: the words as the every-word stage will read them after this one, counted in the corrected whole names'
    statement (a round trip less). Returns whether it ran."""
    found = near if near is not None else corrections(organization.pk, query.name_words())
    if not any(c.edits for near in found.values() for c in near):
        return False
    if any(w in nobody and is_word(w) and not found.get(w) and not related_names(w) for w in query.words):
        return False
    words, variants = [], []
    for slot, word in enumerate(query.words):
        near = found.get(word)
        if near:
            words.append(near[0].word)
            variants += [
                Variant(c.word, slot, CORRECTED[c.edits] - RANK_STEP * rank, prefix=False)
                for rank, c in enumerate(near)
            ]
        else:
            words.append(word)
            variants += [v for v in query.per_word_at(slot) if not v.term.startswith(PHONETIC_SIGIL)]
    corrected = Query(words=words, variants=variants)
    scores.add_variants(variants)
    if len(words) > 1:
        if not _whole_corrected(organization, query, found, scores, limit, typed):
            _every_word(organization, corrected, scores, limit)
    else:
        _lookup(organization, variants, scores, limit)
    return True


# Whole names tried by the typo stage: the products of the words' corrections, the nearest first.
MAX_WHOLE_CORRECTIONS = 64


def _whole_corrected(
    organization: Organization,
    query: Query,
    found: dict[str, list[Correction]],
    scores: Scores,
    limit: int,
    typed: Query | None = None,
) -> bool:
    """The corrected words joined as a guest's whole name ("qink yang": qingyang, qinyang, …; every guest holds
    their whole name in both orders, crm.lookup.terms.full_name_keys), each weighed as the mean of its words'
    weights — what a guest holding each corrected word scores —, read from the index's best rows of each: at a
    million guests ~1 ms, where every word's holders intersected took 40-140 ms. A guest whose name holds the
    words apart (a middle name between them) is not found this way; when no whole name is found, the caller
    intersects the words. Returns whether any guest was found."""
    options = []
    for word in query.words:
        near = found.get(word)
        weights = [(c.word, CORRECTED[c.edits] - RANK_STEP * rank) for rank, c in enumerate(near)] if near else []
        options.append(weights or [(word, 1.0)])
    joined = sorted(
        (
            (sum(w for _, w in combination) / len(combination), "".join(word for word, _ in combination))
            for combination in product(*options)
        ),
        key=lambda pair: (-pair[0], pair[1]),
    )[:MAX_WHOLE_CORRECTIONS]
    variants = [Variant(term[:MAX_QUERY_LENGTH], WHOLE, weight, prefix=False) for weight, term in joined]
    scores.add_variants(variants)
    weighed: dict[str, float] = {}
    for variant in variants:  # two corrections may join into one name: it weighs what the better one does
        weighed[variant.term] = max(weighed.get(variant.term, 0.0), variant.weight)
    # Each guest's best row only, the best guests only: what Scores would rank them by (a whole-query key's weight
    # times its part of the name), ranked in the database. Scores.add_term also gives a row's prefix hits to the
    # typed words; the first statement of the search read the typed words joined, and the every-word stage reads
    # them one by one, so no page has been found to depend on a row left out here.
    margin = 1.5 * 10**-SCORE_DECIMALS  # a score that rounds (_order) into the bucket of the page's last one
    statement = best_holders_sql(organization, sorted(weighed.items()), limit, WHOLE_PART_FACTORS, margin)
    # The typed words no guest holds as a name word, counted in the same statement for _every_word: one of them with
    # no rows, even as the start of a longer term, ends that stage before it reads. The others are not counted here:
    # counting a common one (zhang, to 1,001 rows) cost each typo 0.3 ms that the stage, so ended, never used.
    unknown = unheld(query.words, found) if typed is not None and _cap() is not None else frozenset()
    slots = [slot for slot, word in enumerate(query.words) if word in unknown]
    words = [ranges(variants) for slot in slots if (variants := typed.per_word_at(slot))] if unknown else []
    if not words:
        rows_found = run(*statement)
    else:
        rows = run(*counted_with_sql(organization, words, FEW_ROWS, statement))
        scores.rows_counted.update(zip((_ranges_key(parts) for parts in words), rows[0][: len(words)], strict=True))
        rows_found = [row[len(words) :] for row in rows if row[len(words)] is not None]
    for row in rows_found:
        scores.add_term(*row)
    return bool(rows_found)
