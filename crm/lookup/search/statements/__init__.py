"""The lookup's SQL, each statement a function returning (sql, params): index ranges and walks over the search
terms and the winners' rows (the typo stage's corrections are crm.lookup.vocabulary's).

reading: what every statement shares (a read's columns, the conditions on a term, how a statement is run); exact:
the reads by exact term and the winners' rows; prefixes: the reads by prefix; every_word: the every-word stage's
counts, intersections and walks."""

from crm.lookup.search.statements.every_word import (
    anchor_walk_sql,
    count_sql,
    counted_with_sql,
    counts_sql,
    every_word_sql,
    terms_of_sql,
    walk_sql,
)
from crm.lookup.search.statements.exact import best_holders_sql, exact_sql, winners_sql
from crm.lookup.search.statements.prefixes import (
    EXACT_PART,
    first_guests,
    prefix_sql,
    prefixes_sql,
)
from crm.lookup.search.statements.reading import (
    UPPER,
    either,
    exact_part,
    exact_terms,
    id_list,
    ranges,
    recent_first,
    run,
)

__all__ = [
    "EXACT_PART",
    "UPPER",
    "anchor_walk_sql",
    "best_holders_sql",
    "count_sql",
    "counted_with_sql",
    "counts_sql",
    "either",
    "every_word_sql",
    "exact_part",
    "exact_sql",
    "exact_terms",
    "first_guests",
    "id_list",
    "prefix_sql",
    "prefixes_sql",
    "ranges",
    "recent_first",
    "run",
    "terms_of_sql",
    "walk_sql",
    "winners_sql",
]
