"""On PostgreSQL the lookup's statements (and the API token's) are prepared once they repeat on a connection
(crm.prepared), and answer exactly as they do unprepared."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from crm import prepared as prepared_module
from crm import services
from crm.lookup import search as lookup
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

TYPED = ["z", "zh", "zhang", "zhang w", "zhang wei", "张伟", "wang", "wang fang", "anna", "anna smit", "smith", "8000"]


def answers(organization) -> list[list[int]]:
    return [[c.pk for c in lookup.search(organization=organization, text=text)] for text in TYPED]


def prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


def test_a_desk_typing_all_day_runs_the_lookups_statements_prepared_with_the_same_answers(organization):
    # Given guests whose names share their first letters, seen on different days
    now = timezone.now()
    for days, (given, family, native) in enumerate(
        [
            ("Wei", "Zhang", "张伟"),
            ("Wei", "Zhang", ""),
            ("Fang", "Wang", "王芳"),
            ("Anna", "Smith", ""),
            ("Bo", "Li", ""),
        ]
    ):
        guest = CustomerFactory(
            organization=organization,
            given_name=given,
            family_name=family,
            native_name=native,
            phone="+86 138 0013 8000",
        )
        services.contact_log(customer=guest, kind="visit", occurred_at=now - timedelta(days=days))
    connection.ensure_connection()
    threshold = settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"]
    assert threshold == 5  # the default: each statement prepared from its sixth run on a connection
    # When the names are looked up with nothing prepared, then as often again as the threshold and once more
    written = prepared()  # the writes above prepared theirs (crm.bulk.insert_one)
    connection.connection.prepare_threshold = None
    unprepared = answers(organization)
    assert prepared() == written
    connection.connection.prepare_threshold = threshold
    runs = [answers(organization) for _ in range(threshold + 1)]
    # Then every run finds the same guests in the same order (the last ones from prepared statements)
    assert unprepared[4] and unprepared[5] and all(run == unprepared for run in runs)
    # and the search's statements and the winners' are among the connection's prepared statements
    statements = prepared()
    assert any("FROM crm_searchterm" in statement for statement in statements), statements
    assert any("LEFT JOIN crm_externalid" in statement for statement in statements), statements


def test_every_api_request_reads_its_token_by_a_prepared_statement(api):
    """The token's statement joins five tables: planning it cost PostgreSQL nine times what running it did, on every
    API request (crm.authentication)."""
    # Given a desk that calls the API more often than the threshold
    threshold = settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"]
    answers = [api.get("/api/v1/customers/?q=zhang").status_code for _ in range(threshold + 1)]
    # Then every call was answered, and the token's statement is among the connection's prepared statements
    assert answers == [200] * (threshold + 1)
    assert any("FROM authtoken_token t JOIN" in statement for statement in prepared()), prepared()
    # and a wrong token is still refused by it
    api.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert api.get("/api/v1/customers/?q=zhang").status_code == 401


def test_new_guests_search_terms_are_written_by_a_prepared_statement(organization):
    """The same statement for every guest (the terms as two arrays), planned once per connection."""
    threshold = settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"]
    guests = [
        services.customer_create(organization=organization, given_name="Wei", family_name=f"Zhang{'x' * n}")
        for n in range(threshold + 1)
    ]
    assert any("INSERT INTO crm_searchterm" in statement for statement in prepared()), prepared()
    # and each guest is found by its own terms
    for guest in guests:
        assert guest.pk in [c.pk for c in lookup.search(organization=organization, text=guest.family_name)]


def test_the_lookups_statements_run_the_plan_made_once_without_their_values(organization):
    """Left to choose (plan_cache_mode auto), PostgreSQL planned the lookup's first statement anew for every
    keystroke: its generic plan looked costlier than the plans for the values, though it ran as fast. Planning was
    0.2 of the statement's 0.5 ms at a million guests (2026-12-06); connections now run every prepared statement's
    generic plan (config/settings.py)."""
    for given, family in [("Wei", "Zhang"), ("Fang", "Wang"), ("Anna", "Smith")]:
        CustomerFactory(organization=organization, given_name=given, family_name=family)
    threshold = settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"]
    for _ in range(threshold + 3):
        answers(organization)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE '%crm_searchterm%'"
        )
        plans = cursor.fetchall()
    assert plans and all(generic > 0 and custom == 0 for generic, custom in plans), plans


def test_the_statements_whose_plan_depends_on_their_values_go_with_them_unprepared(organization):
    """The every-word stage's intersections and walks: their generic plan ran slower (24 ms against 19 at the
    median, a million guests), so they are sent with their values and planned for them."""
    CustomerFactory(organization=organization, given_name="Anna Maria", family_name="Smith")
    sent = []

    def record(execute, sql, params, many, context):
        sent.append((sql, type(context["cursor"].cursor).__name__))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        found = lookup.search(organization=organization, text="anna smith")
    assert [c.given_name for c in found] == ["Anna Maria"]
    by_values = [sql for sql, cursor in sent if cursor != "ServerBindingCursor"]
    assert sent[0][1] == "ServerBindingCursor", sent
    assert by_values and all("ARRAY(" in sql for sql in by_values), sent


@pytest.mark.parametrize(
    "values, cast",
    [
        (['say "hi"', "back\\slash", "a,b", "{braces}", "  spaced  ", "NULL", "", "王伟", "^zha", "@x.y"], "text[]"),
        # texts without a quote or a backslash, joined in one step
        (["a,b", "{braces}", "  spaced  ", "NULL", "", "王伟", "^zha", "@x.y", "x\u3000y"], "text[]"),
        (['a","b'], "text[]"),
        ([1, 0, -7, 2**62], "bigint[]"),
        ([0.82, 1.0, 0.7 - 0.002 * 3], "float8[]"),
        (["a", None, "b"], "text[]"),
    ],
)
def test_a_list_sent_as_one_array_literal_arrives_as_the_same_values(values, cast):
    # The lookup's and the writes' arrays go as one string (crm.prepared.array): every element must arrive as it was
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT %s::{cast}", [prepared_module.array(values)])
        assert cursor.fetchone()[0] == values


@pytest.mark.parametrize("value", [True, b"bytes", ("a", "b"), timezone.now()])
def test_an_array_of_another_type_is_refused_rather_than_sent_as_its_python_text(value):
    with pytest.raises(TypeError):
        prepared_module.array(["a", value])
    with pytest.raises(TypeError):
        prepared_module.array([value])
    with pytest.raises(TypeError):
        prepared_module.array([1, value])
