"""Query → ranked customer ids: analyze what was typed (query), retrieve candidates by index (statements), rank
them (scores). This module holds the order of the stages and when each one runs."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from itertools import product

from crm import rows
from crm.lookup.nicknames import related_names
from crm.lookup.search.query import MAX_QUERY_LENGTH, WHOLE, Query, Variant, analyze
from crm.lookup.search.scores import PREFIX_FACTOR, WHOLE_PART_FACTORS, Scores
from crm.lookup.search.statements import (
    EXACT_PART,
    UPPER,
    best_holders_sql,
    counted_with_sql,
    exact_sql,
    first_guests,
    prefix_sql,
    prefixes_sql,
    ranges,
    recent_first,
    run,
    winners_sql,
)
from crm.lookup.search.words import FEW_ROWS, anchor_rows, common_rows, every_word, ranges_key, walk_rows
from crm.lookup.terms import EMAIL_SIGIL, PHONETIC_SIGIL, PREFIX_KEYS, PREFIX_SIGIL, is_prefix_key
from crm.lookup.vocabulary import Correction, corrections, is_word, unheld
from crm.models import Customer, Organization, TermKind

# A prefix longer than the PREFIX rows (crm.lookup.terms.PREFIX_KEYS) with more rows than this is walked: the holders
# of its first characters, most recent first, each probed for it (~3 buffers a holder); with fewer, its rows are
# read whole and ranked in the database (~0.5 µs a row).
PREFIX_RANGE_ROWS = 2000
# The typed words joined, when as short as a PREFIX row ("liu w": liuw), are walked from more than this many rows:
# the holders of their own PREFIX row, each a match — 20 probes, where ranking 2,000 rows took 2.5 ms.
JOINED_RANGE_ROWS = 200
# The typed words joined are read as the start of a whole name from this many characters ("liu w": liuw, Liu Wei's
# liuwei, scoring what the words one by one would, scores.joined_prefix); shorter ("a b", "ma j") they are read by
# their PREFIX row as a prefix like any other, and the words one by one after it: "a b" is Anna Brown's initials
# before it is the start of Abigail Jones's abigailjones.
JOINED_FROM = 4
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
            none = every_word(organization, per_word, scores, limit, walked)
            # The words that have no rows even as the start of a longer term: as the typo stage would read them, when
            # their prefixes were counted (what it reads of a word it cannot correct, with its nicknames).
            nobody = none if prefixes else frozenset()
        if not corrected and scores.sure_best() < FUZZY_BELOW and query.name_words():
            _corrected(organization, query, scores, limit, near, nobody)
    ranked = scores.ranked()
    if len(query.words) > 2 and not ranked and query.name_words():
        # Every word but one, of three or more ("John Paul Smith" for John Smith, whose profile holds no middle name):
        # the lenient last resort, after the corrections (whose matches of every word would rank above it anyway).
        # The typed words with one left out, joined, are whole names a guest holds (in both orders,
        # crm.lookup.terms.full_name_keys): one index probe each, however many guests hold each word (each word's
        # best holders alone met no John Smith among a million guests); in the same statement, each word's best
        # holders as typed, which find a name written apart ("ye uju kim": Ye-jun Kim holds ye and kim) among the
        # most recent. Either weighs the share of the words held. Fewer words held is another person: "Mary
        # Lindqvist" or "Wei Chen" answer nothing when no guest holds both, so that the desk creates the guest rather
        # than pick among the Marys (a courtesy title or a generation is not a word: normalize.without_titles).
        words = query.words
        weight = (len(words) - 1) / len(words)
        lenient = [
            Variant("".join(words[:gone] + words[gone + 1 :])[:MAX_QUERY_LENGTH], WHOLE, weight, prefix=False)
            for gone in range(len(words))
        ]
        scores.add_variants(lenient)
        _lookup(organization, lenient + _as_typed(query, prefixes=False).per_word(), scores, limit)
        ranked = [
            (customer, score)
            for customer, score in scores.ranked()
            if WHOLE in scores.best[customer] or len(scores.best[customer]) >= len(words) - 1
        ]
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
    return recent_first(round(score, SCORE_DECIMALS), seen, customer_id)


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
    cap = PREFIX_RANGE_ROWS if common_rows() is not None else None
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
    # The typed words joined ("liu w": liuw) are read by their range from JOINED_FROM letters: the kind of a row
    # starting with them tells a whole name (Liu Wei, liuwei: scores.joined_prefix, no word-by-word stage after) from
    # a part of one, which a PREFIX row does not — read by its PREFIX rows, "liu w" went on to walk Liu's holders,
    # 4.5 ms at a million guests. Beyond JOINED_RANGE_ROWS such a range is walked from its own PREFIX rows.
    joined = scores.joined
    ranged = frozenset({joined}) if joined and is_prefix_key(joined) and len(joined) >= JOINED_FROM else frozenset()
    counts: dict[int, int | None] = {}
    # One word: every match of a prefix scores its reach (scores.Scores._prefix_hit). A common prefix (counted above
    # the cap) is walked, and its matches — hundreds of guests at least — fill the page above any prefix reaching
    # less, whose range is then not read (prefixes_sql's outranked). Several words: a joined prefix's match may
    # score less than its reach (a part of a name), so no range is left unread for it.
    # What a match of each prefix scores at most (also the order its walk takes, below).
    reach_of = {
        prefix: max(_prefix_reach(v, scores) for v in variants if v.prefix and v.term == prefix) for prefix in prefixes
    }
    outranked: dict[str, list[str]] = {}
    if cap is not None and len(scores.query.words) == 1:
        counted = [prefix for prefix in prefixes if not is_prefix_key(prefix)]
        rounded = {prefix: round(reach_of[prefix], SCORE_DECIMALS) for prefix in counted}
        for prefix in counted:
            if above := [other for other in counted if rounded[other] > rounded[prefix]]:
                outranked[prefix] = above
    found_of: dict[int, list] = defaultdict(list)
    statement = prefixes_sql(
        organization,
        prefixes,
        limit,
        cap,
        exact=terms,
        enough=enough,
        enough_kind=enough_kind,
        ranged=ranged,
        ranged_cap=JOINED_RANGE_ROWS,
        outranked=outranked,
    )
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
        if is_prefix_key(prefix) and prefix not in ranged:
            # Short ("w", "zhao"): its PREFIX rows hand out the `limit` most recent holders, in index order.
            for customer_id, _, _, seen in found_of[number]:
                scores.add_prefix(customer_id, prefix, seen)
        elif cap is not None and (counts.get(number) or 0) > (JOINED_RANGE_ROWS if prefix in ranged else cap):
            walks.append(prefix)
        elif prefix in outranked and counts.get(number) is None:
            # Neither counted nor read, a prefix reaching higher having more rows than the cap: walked after it,
            # should that one's walk not fill the page (a walk that runs out reads the range whole).
            walks.append(prefix)
        else:
            for row in _first_guests(organization, prefix, found_of[number], limit):
                scores.add_term(*row)
    # The common prefixes walked, the one a match of scores most first: a walk is skipped once a page of guests
    # outranks what its matches can score ("kenne": a page of Kenneths found by the name's walk leaves @kenne…, an
    # email's start, unwalked — 0.5 to 1.6 ms at a million guests).
    for prefix in sorted(walks, key=lambda prefix: (-reach_of[prefix], prefix)):
        if _settled(scores, reach_of[prefix], limit):
            break
        condition = ("(term > %s AND term < %s)", [prefix, prefix + UPPER])
        if prefix == scores.joined:
            # Only a whole name starting with the words joined scores what the words one by one would (a part of a
            # name starting with them, a prefix's 0.85): the most recent of those are the page, and a walk that
            # took any holder could fill it with the parts (Liuwen Zhou, a given name, before an older Liu Wei).
            condition = ("(term > %s AND term < %s AND kind = %s)", [prefix, prefix + UPPER, int(TermKind.FULL_NAME)])
        stem = _stem(prefix)
        if stem is None:
            found = walk_rows(organization, [condition], condition, limit)
        else:
            found = anchor_rows(organization, stem, [condition], condition, limit)
        if len({row[0] for row in found}) < limit:  # the walk ran out before the page filled
            found = run(*prefix_sql(organization, prefix, limit), for_its_values=True)
            found = _first_guests(organization, prefix, found, limit)
        for row in found:
            scores.add_term(*row)


def _first_guests(organization: Organization, prefix: str, rows: list, limit: int) -> list:
    """The rows of a prefix's range read whole (statements.prefix_sql, its default rows) of its first `limit`
    guests; the range's every row is read and ranked again in the rare case that those rows held fewer guests."""
    kept = first_guests(rows, limit)
    if kept is None:
        kept = first_guests(
            run(*prefix_sql(organization, prefix, limit, whole=True), for_its_values=True), limit, whole=True
        )
    return kept


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
    """The PREFIX row that every holder of a longer prefix holds: "^zhan" for "zhangw"; None for a phone's digits."""
    sigil = 1 if prefix.startswith(EMAIL_SIGIL) else 0
    stem = prefix[: sigil + PREFIX_KEYS]
    return PREFIX_SIGIL + stem if is_prefix_key(stem) else None


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
            every_word(organization, corrected, scores, limit)
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
    statement = best_holders_sql(organization, list(weighed.items()), limit, WHOLE_PART_FACTORS, margin)
    # The typed words no guest holds as a name word, counted in the same statement for every_word: one of them with
    # no rows, even as the start of a longer term, ends that stage before it reads. The others are not counted here:
    # counting a common one (zhang, to 1,001 rows) cost each typo 0.3 ms that the stage, so ended, never used.
    unknown = unheld(query.words, found) if typed is not None and common_rows() is not None else frozenset()
    slots = [slot for slot, word in enumerate(query.words) if word in unknown]
    words = [ranges(variants) for slot in slots if (variants := typed.per_word_at(slot))] if unknown else []
    if not words:
        rows_found = run(*statement)
    else:
        rows = run(*counted_with_sql(organization, words, FEW_ROWS, statement))
        scores.count((ranges_key(parts) for parts in words), rows[0][: len(words)])
        rows_found = [row[len(words) :] for row in rows if row[len(words)] is not None]
    for row in rows_found:
        scores.add_term(*row)
    return bool(rows_found)
