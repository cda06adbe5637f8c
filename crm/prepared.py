"""Statements that run on every keystroke or API request, prepared on PostgreSQL: planned once per connection.

The lookup's (crm.lookup.search.statements.run, the typo stage's corrections), the likely duplicates' shown with
every guest created or opened and one guest read by id (crm.selectors), the API token's (crm.authentication, every
API request), the brief's read (personalization.brief.inputs), a new guest's search terms (crm.lookup.terms.index)
and the new row of every write (crm.bulk.insert_one: a guest, a preference, a change record). Django sends every
statement with its values written into the text (psycopg's client-side binding) and never prepares one (it sets
psycopg's `prepare_threshold` to None, for connection poolers). These statements are few and run thousands of times:
planning them took more of PostgreSQL's time than running them — at 100,000 guests 0.23 ms to plan the search
against 0.09 ms to run it, 0.09 against 0.08 ms for the winners' rows (EXPLAIN ANALYZE of 200 typed keystrokes,
2026-12-06). A cursor here binds its values on the server, so the text is the same for every value and psycopg
prepares it after DATABASES' `prepare_threshold` runs on one connection (config/settings.py,
DATABASE_PREPARE_THRESHOLD); PostgreSQL then reuses a plan once its generic plan costs no more than the plans it
made for the values seen — or, as the connections here are started (config/settings.py, _prepared), from the
first run: left to choose, PostgreSQL kept planning the lookup's first statement anew on every keystroke (its generic
plan looked costlier, and ran as fast: 0.30 against 0.51 ms at the median for a million guests, planning included,
2026-12-06). A statement whose best plan does depend on its values is sent with them instead
(crm.lookup.search.statements.run, for_its_values), and a bound a plan needs is written into the text (a LIMIT
given as a parameter is guessed at a tenth of the rows). Without a threshold (set empty, as behind PgBouncer before
1.21 in transaction mode), nothing is prepared, no plan mode is set, and the values are still bound on the server.
SQLite gets Django's own cursor; so does a connection whose queries are logged (DEBUG, a test capturing them), so
that the log shows each statement with its values, ready to run again or EXPLAIN.

Writes that follow one another without reading each other's answers are sent together (`sent_together`): a new
guest's search terms, vocabulary and change record, and the brief's access record after its read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper


def cursor(database: BaseDatabaseWrapper) -> CursorWrapper:
    """A cursor of `database` like `database.cursor()` (its execute wrappers, its queries log when DEBUG) whose
    statements bind their values on the server: psycopg prepares one that runs often."""
    if database.vendor != "postgresql" or database.queries_logged:
        return database.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor

    database.close_if_health_check_failed()
    database.ensure_connection()
    with database.wrap_database_errors:
        # What database.cursor() does (BaseDatabaseWrapper._cursor) with psycopg's server-binding cursor class.
        return database._prepare_cursor(ServerBindingCursor(database.connection))


@contextmanager
def sent_together(database: BaseDatabaseWrapper) -> Iterator[None]:
    """The statements run inside sent together on PostgreSQL (psycopg's pipeline mode): one whose answer is read (a
    SELECT, an INSERT … RETURNING) goes with those queued before it, in one round trip; the rest when the block ends.
    A failed statement fails the ones after it until then, and its error may come where a later one is read or at
    the end, outside Django's cursor: wrapped as its own would be. So only statements whose failure fails the whole
    transaction belong here (no savepoint that catches an error to go on). SQLite runs them one by one."""
    if database.vendor != "postgresql":
        yield
        return
    database.ensure_connection()
    with database.wrap_database_errors, database.connection.pipeline():
        yield


def array(values: Iterable[object]) -> str:
    """A list as one PostgreSQL array literal, for a parameter the statement casts to its array type (`%s::text[]`).
    psycopg adapts a list element by element in Python, ~1 µs each: a typo's 240 keys and bounds and its 64 corrected
    names took 0.3-0.5 ms to send, more than PostgreSQL took to plan and run their statements; one string crosses as
    it is (0.002 ms). Each element is quoted (a term holds any character); None is NULL; a text, an integer or a
    float only (another type's str() is not its PostgreSQL input: a TypeError). Texts none of which holds a quote or a
    backslash (a lookup's terms, nearly always) and integers are joined in one step, not element by element."""
    values = list(values)
    if values and all(type(v) is str for v in values):
        whole = "\0".join(values)  # PostgreSQL's text holds no NUL: the separator is none of theirs
        if '"' not in whole and "\\" not in whole:
            return '{"' + '","'.join(values) + '"}'
    elif values and all(type(v) is int for v in values):
        return "{" + ",".join(map(str, values)) + "}"
    return "{" + ",".join(_element(v) for v in values) + "}"


def _element(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, str):
        text = value.replace("\\", "\\\\").replace('"', '\\"') if ("\\" in value or '"' in value) else value
        return '"' + text + '"'
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"array(): {type(value).__name__} is not a text, an integer or a float")
