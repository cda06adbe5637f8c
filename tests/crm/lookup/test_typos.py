"""Typos: the typed words corrected against the vocabulary of the guests' name words (crm.lookup.vocabulary), and
that vocabulary kept in step with every write of a guest's names."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rapidfuzz.distance import DamerauLevenshtein

from crm import services
from crm.lookup.normalize import phonetic
from crm.lookup.search import _corrected, search
from crm.lookup.search.query import analyze
from crm.lookup.search.scores import WHOLE_PART_FACTORS, Scores
from crm.lookup.search.statements import best_holders_sql, run
from crm.lookup.terms import NAME_FIELDS, PHONETIC_SIGIL, names_of, reindex
from crm.lookup.vocabulary import MAX_CANDIDATES, corrections, max_edits, vocabulary_add
from crm.models import Customer, NameWord
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _vocabulary(organization) -> dict[str, int]:
    words = NameWord.objects.filter(organization=organization, key=F("word"))
    return dict(words.values_list("word", "guests"))


def _found(organization, text) -> list[int]:
    return [customer.pk for customer in search(organization=organization, text=text)]


@pytest.fixture
def guests(organization):
    """Katherine Lee among namesakes one letter away, who visited more recently: a typo must not find them first."""
    make = lambda **kw: CustomerFactory(organization=organization, **kw)  # noqa: E731
    katherine = make(given_name="Katherine", family_name="Whitfield")
    make(given_name="Catherine", family_name="Whitfield")
    make(given_name="Katharine", family_name="Whitworth")
    make(given_name="Kathleen", family_name="Whitfield")
    zhang = make(given_name="Ruohan", family_name="Zhang", native_name="张若涵")
    make(given_name="Ruolan", family_name="Zhang", native_name="张若兰")
    make(given_name="Ruohan", family_name="Wang", native_name="王若涵")
    for _ in range(3):
        make(given_name="Wei", family_name="Zhang", native_name="张伟")
    return {"katherine": katherine, "zhang": zhang}


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Katherinne Whitfield", "insert"),
        ("Katherine Whitfeld", "delete"),
        ("Katherine Whitfiald", "substitute"),
        ("Katherine Whitfiled", "transpose"),
        ("Kahterine Whitfield", "transpose in the given name"),
    ],
)
def test_one_typo_of_each_kind_finds_the_guest_first(organization, guests, text, kind):
    assert _found(organization, text)[0] == guests["katherine"].pk, kind


@pytest.mark.parametrize(
    "text",
    [
        "Katherine Whtfiled",  # two in one word
        "Kathreine Whitfeild",  # one in each word
        "Ktherine Whitfiedl",
    ],
)
def test_two_typos_find_the_guest_first(organization, guests, text):
    assert _found(organization, text)[0] == guests["katherine"].pk


def test_a_typo_in_pinyin_finds_the_han_guest_whose_reading_it_is(organization, guests):
    # when the given name's pinyin is mistyped (ruohan → ruohna), with the family name first or last
    # then 张若涵 comes first, before 张若兰 (one letter further) and 王若涵 (another family name)
    assert _found(organization, "zhang ruohna")[0] == guests["zhang"].pk
    assert _found(organization, "Ruhoan Zhnag")[0] == guests["zhang"].pk


def test_a_typo_in_a_word_before_the_last_is_corrected_not_taken_for_a_prefix(organization):
    # Given Wenxiu Sun, and Wenxuan Sun seen since (issue 15's "wenxu sun": wenxu is the start of wenxuan)
    wenxiu = CustomerFactory(organization=organization, given_name="Wenxiu", family_name="Sun", native_name="孙文秀")
    CustomerFactory(organization=organization, given_name="Wenxuan", family_name="Sun", native_name="孙文轩")
    # When the given name is typed with a letter missing, then the family name
    found = _found(organization, "wenxu sun")
    # Then the name one edit away comes first: a word typed before the last is complete, not being typed
    assert found[0] == wenxiu.pk
    # while the last word is still a prefix being typed, and a word too short to correct still one
    assert _found(organization, "sun wenxu")[0] != wenxiu.pk
    assert wenxiu.pk in _found(organization, "w sun")


def test_a_name_nobody_is_near_finds_nothing_and_the_typo_stage_is_one_statement(organization, guests):
    assert _found(organization, "Qzxvbn Plokmj") == []
    query = analyze("Qzxvbn Plokmj")
    with CaptureQueriesContext(connection) as captured:
        _corrected(organization, query, Scores(query), 20)
    # the vocabulary's one statement: nothing near, so no search of corrections followed
    assert len(captured.captured_queries) == 1
    assert "crm_nameword" in captured.captured_queries[0]["sql"]


def test_corrections_are_the_closest_then_the_most_held(organization, guests):
    near = corrections(organization.pk, ["katherin", "whitfeld"])
    assert (near["katherin"][0].word, near["katherin"][0].edits) == ("katherine", 1)
    assert {"katharine", "catherine"} <= {c.word for c in near["katherin"] if c.edits == 2}
    # whitfield (one edit, three guests) before whitworth (not within two) and any rarer word one edit away
    assert near["whitfeld"][0].word == "whitfield"
    assert [(c.edits, -c.guests) for c in near["whitfeld"]] == sorted((c.edits, -c.guests) for c in near["whitfeld"])


def test_corrections_are_every_vocabulary_word_within_the_edits_the_keys_bounds_leave_none_out(organization):
    """Each key of a typed word reads only the words of the lengths it can be a key of (crm.lookup.vocabulary
    corrections): the same words as measuring every word of the vocabulary, alone or with another typed word."""
    rng = random.Random(15)
    letters = "aeinghlo"  # few letters, so that many words are near one another
    vocabulary = sorted({"".join(rng.choice(letters) for _ in range(rng.randint(2, 9))) for _ in range(500)})
    vocabulary_add(organization.pk, Counter(vocabulary))
    typed = sorted({"".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(80)})

    def measured(word):
        near = [(DamerauLevenshtein.distance(word, known), known) for known in vocabulary]
        return sorted(pair for pair in near if pair[0] <= max_edits(word))[:MAX_CANDIDATES]

    for word, other in zip(typed, reversed(typed), strict=True):
        found = corrections(organization.pk, [word, other])
        for each in (word, other):
            assert [(c.edits, c.word) for c in found.get(each, [])] == measured(each), each


@pytest.mark.postgres
@pytest.mark.parametrize("analyzed", [False, True], ids=["statistics as they are", "analyzed"])
def test_corrections_probe_the_vocabulary_by_key_whatever_its_statistics(organization, analyzed):
    """Every read of the vocabulary in the corrections' statement is an index probe by key, the way the plan goes
    before the table's first ANALYZE too (a fresh test database has none): written as a semi-join, PostgreSQL once
    read every word and probed each, 108 s for one two-word name at a million guests."""
    rng = random.Random(7)
    words = {"".join(rng.choice("abdeghiklmnorstuy") for _ in range(rng.randint(3, 10))) for _ in range(3000)}
    vocabulary_add(organization.pk, Counter(words))
    if analyzed:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {NameWord._meta.db_table}")
    with CaptureQueriesContext(connection) as statements:
        corrections(organization.pk, ["thomas", "thorvaldsen"])
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + statements.captured_queries[-1]["sql"])
        plan = cursor.fetchone()[0][0]["Plan"]

    def reads(node):
        if node.get("Relation Name") == NameWord._meta.db_table:
            yield node
        for child in node.get("Plans", []):
            yield from reads(child)

    scans = list(reads(plan))
    assert len(scans) == 2
    for scan in scans:  # an index scan, or a bitmap heap scan of an index scan's pages: by key either way
        condition = scan.get("Index Cond") or scan.get("Recheck Cond", "")
        assert re.search(r"\bkey\)?(::text)? =", condition), scan


def test_the_vocabulary_counts_the_guests_holding_each_word(organization, guests):
    words = _vocabulary(organization)
    assert words["whitfield"] == 3
    assert words["zhang"] == 5  # the pinyin of 张 and the family name as written are one word
    assert words["ruohan"] == 2
    assert words["katherine"] == 1


def test_a_rename_moves_the_guest_to_the_new_words(organization, guests):
    services.customer_update(customer=guests["katherine"], family_name="Lee")
    words = _vocabulary(organization)
    assert words["whitfield"] == 2
    assert words["lee"] == 1
    assert _found(organization, "Katherine Leee")[0] == guests["katherine"].pk


def test_an_erased_guests_words_go_when_no_other_guest_holds_them(organization, guests):
    services.customer_erase(customer=guests["katherine"])
    words = _vocabulary(organization)
    assert "katherine" not in words
    assert not NameWord.objects.filter(word="katherine").exists()  # nor its deletions' rows
    assert words["whitfield"] == 2  # still held by Catherine and Kathleen
    assert guests["katherine"].pk not in _found(organization, "Katherinne Whitfield")


def test_a_merge_counts_the_person_once_and_its_undo_counts_both_again(organization, guests):
    duplicate = CustomerFactory(organization=organization, given_name="Katherine", family_name="Whitfield")
    assert _vocabulary(organization)["katherine"] == 2
    merge = services.customer_merge(kept=guests["katherine"], duplicate=duplicate)
    assert _vocabulary(organization)["katherine"] == 1
    services.merge_undo(merge=merge)
    assert _vocabulary(organization)["katherine"] == 2


def test_many_words_at_once_write_the_rows_a_few_at_a_time_would(organization, guests):
    """An import's batch adds many words at once (on PostgreSQL the words first, then only the new ones'
    deletions): the same rows as the few words of one guest at a time, known words counted up and kept."""
    from collections import Counter

    from crm.lookup.vocabulary import FEW_WORDS, deletions, vocabulary_add
    from tests.factories import OrganizationFactory

    other = OrganizationFactory()
    known = ["katherine", "whitfield", "zhang"]  # in the fixture's vocabulary already
    fresh = [f"guest{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(FEW_WORDS + 4)]
    counts = Counter({word: 2 for word in [*known, *fresh]})
    vocabulary_add(organization.pk, counts)  # many at once
    for word in [*known, *fresh]:
        vocabulary_add(other.pk, Counter({word: 1}))  # one at a time, twice over
        vocabulary_add(other.pk, Counter({word: 1}))

    def rows(organization_id, words):
        held = NameWord.objects.filter(organization_id=organization_id, word__in=words)
        return set(held.values_list("key", "word", "guests"))

    assert rows(organization.pk, fresh) == rows(other.pk, fresh)
    assert {(key, word) for key, word, _n in rows(organization.pk, fresh)} == {
        (key, word) for word in fresh for key in deletions(word)
    }
    words = _vocabulary(organization)
    assert (words["katherine"], words["whitfield"], words["zhang"]) == (1 + 2, 3 + 2, 5 + 2)
    assert {key for key, _w, _n in rows(organization.pk, ["katherine"])} == set(deletions("katherine"))
    assert _found(organization, "Katherinne Whitfield")[0] == guests["katherine"].pk


def test_rebuild_search_terms_rebuilds_the_vocabulary(organization, guests):
    from django.core.management import call_command

    NameWord.objects.filter(organization=organization, word="katherine").delete()
    NameWord.objects.filter(organization=organization, key="whitfield", word="whitfield").update(guests=99)
    call_command("rebuild_search_terms")
    words = _vocabulary(organization)
    assert words["katherine"] == 1
    assert words["whitfield"] == 3


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_vocabulary_and_empties_it_back(migrate):
    before, after = [("crm", "0022_webhook_secret_encrypted")], [("crm", "0023_nameword")]
    apps = migrate(before)
    try:
        organization = apps.get_model("crm", "Organization").objects.create(name="Old Hotel Group")
        customer = apps.get_model("crm", "Customer")
        kept = [
            customer.objects.create(organization=organization, given_name=given, family_name=family, native_name=native)
            for given, family, native in [("Ruohan", "Zhang", "张若涵"), ("Anna", "Zhang", ""), ("Anna", "Lee", "")]
        ]
        customer.objects.create(organization=organization, given_name="Merged", family_name="Away", merged_into=kept[2])
        # when the migration runs
        apps = migrate(after)
        # then every live guest's words are counted
        words = dict(
            apps.get_model("crm", "NameWord")
            .objects.filter(organization_id=organization.pk, key=F("word"))
            .values_list("word", "guests")
        )
        assert words == {"zhang": 2, "ruohan": 1, "anna": 2, "lee": 1}
        # and backwards the vocabulary is gone with its table
        apps = migrate(before)
        assert "crm_nameword" not in connection.introspection.table_names()
    finally:
        migrate(MigrationLoader(connection).graph.leaf_nodes())


def test_the_words_are_those_a_desk_would_type(organization):
    fields = dict.fromkeys(NAME_FIELDS, "")
    fields.update(given_name="Siobhán", family_name="O'Connor-Müller", native_name="吕平东")
    words = names_of(CustomerFactory.build(organization=organization, **fields)).words
    assert {"siobhan", "oconnor", "connor", "muller", "mueller", "lv", "lu", "lyu", "pingdong"} <= words
    assert not {word for word in words if word.startswith(("siobhanoconnor", "pingdonglv"))}


def _sound_alike_read(captured, word) -> bool:
    key = PHONETIC_SIGIL + phonetic(word)
    return any(key in query["sql"] for query in captured.captured_queries)


@pytest.mark.parametrize("text", ["Katherinne Whitfield", "Katherine Whitfiald", "Kathreine Whitfeild"])
def test_a_typo_is_corrected_as_a_whole_name_before_its_sound_alikes_are_read(organization, guests, text):
    # Given guests who sound like the typed words (Catherine, Kathleen Whitfield)
    # When a name is typed with a typo in either word or in both
    with CaptureQueriesContext(connection) as captured:
        found = _found(organization, text)
    # Then the guest whose whole name is nearest comes first, found by the corrected whole names: the typed words'
    # sound-alike keys (thousands of guests at a million for "qink yang") are not read
    assert found[0] == guests["katherine"].pk
    assert not any(_sound_alike_read(captured, word) for word in text.lower().split())


@pytest.mark.postgres
def test_a_typed_word_nobody_holds_ends_the_words_as_typed_after_the_correction(organization, guests):
    # Given Katherine Whitfield among namesakes one letter away
    # When her surname is typed with a letter left out, which no guest's name holds or starts with
    with CaptureQueriesContext(connection) as captured:
        found = _found(organization, "Katherine Whitfeld")
    # Then she comes first, found by the corrected whole name
    assert found[0] == guests["katherine"].pk
    # and the word as typed that no guest holds, which could still place a longer name starting with it, was
    # counted once, in the statement that read the corrected whole names: "whitfeld" has no rows, so no guest's
    # terms were read for the words (no walk, no candidates), no statement of their own counted them, and
    # "katherine", which many guests hold, was not counted at all
    statements = [query["sql"] for query in captured.captured_queries]
    counted = [sql for sql in statements if " AS n0" in sql]  # statements.counts_sql's first column
    assert len(counted) == 1 and "row_number() OVER" in counted[0], statements
    assert " AS n1" not in counted[0] and "'katherine'" not in counted[0].split("LEFT JOIN")[0], counted[0]
    assert not any("unnest(ARRAY(" in sql for sql in statements), statements
    assert len(statements) == 4, statements  # the whole keys, the corrections, the whole names, the winners


@pytest.mark.postgres
def test_a_word_nobody_holds_and_nothing_corrects_ends_the_typo_stage_before_it_reads(organization):
    # Given Robert Smith, and Roberto and Roberta, one letter from robert; nobody's name holds or starts with okonkwo
    CustomerFactory(organization=organization, given_name="Robert", family_name="Smith")
    CustomerFactory(organization=organization, given_name="Roberto", family_name="Rossi")
    CustomerFactory(organization=organization, given_name="Roberta", family_name="Flack")
    # When a guest nobody knows is typed
    with CaptureQueriesContext(connection) as captured:
        found = _found(organization, "Robert Okonkwo")
    # Then nobody is found: okonkwo, which no guest holds in any way, names a guest Rapport does not know (Robert
    # Smith is not offered in his place: the desk creates the guest)
    assert found == []
    # and the typo stage, which corrects robert but has nothing for okonkwo, read no corrected whole names and
    # counted the words once: no guest can hold every word
    statements = [query["sql"] for query in captured.captured_queries]
    assert not any("row_number() OVER" in sql for sql in statements), statements
    assert sum(" AS n0" in sql for sql in statements) == 1, statements  # statements.counts_sql's first column


def test_a_nickname_match_leaves_the_words_as_typed_to_place_a_middle_name_above_it(organization):
    # Given Robert Smith, seen recently, and Bob Lee Smith, whose whole name is not "bobsmith"
    robert = CustomerFactory(organization=organization, given_name="Robert", family_name="Smith")
    bob_lee = CustomerFactory(organization=organization, given_name="Bob Lee", family_name="Smith")
    services.contact_log(customer=robert, kind="visit")
    # When "Bob Smith" is typed
    with CaptureQueriesContext(connection) as captured:
        found = _found(organization, "Bob Smith")
    # Then Bob Lee Smith, holding both typed words, comes before Robert Smith, found by the nickname's whole name
    assert found == [bob_lee.pk, robert.pk]
    # and once a whole name matched, the sound-alikes of the typed words were not read
    assert not _sound_alike_read(captured, "smith")


def test_a_whole_name_found_by_a_nickname_ranks_as_its_words_would(organization):
    # Given Donna Hill, and Donald Hill seen since ("dona" is a nickname of Donna, and the start of Donald)
    donna = CustomerFactory(organization=organization, given_name="Donna", family_name="Hill")
    donald = CustomerFactory(organization=organization, given_name="Donald", family_name="Hill")
    services.contact_log(customer=donald, kind="visit")
    # When "Dona Hill" is typed, then Donna Hill comes first: her whole name by the nickname weighs what her words
    # would (0.925), above a first word that only starts with the typed one (0.8825, not read once she is found)
    assert _found(organization, "Dona Hill")[0] == donna.pk
    # while "Dona" alone still finds Donald as its start
    assert donald.pk in _found(organization, "Dona")


def test_more_holders_of_the_corrected_names_than_a_page_bring_the_page_only(organization):
    # Given Katherine Whitfield, one letter from what is typed, and more than a page of guests two letters from it,
    # under three names held by fewer and fewer guests (each a step lower: 0.869, 0.868, 0.867)
    katherine = CustomerFactory(organization=organization, given_name="Katherine", family_name="Whitfield")
    make = lambda given: CustomerFactory(organization=organization, given_name=given, family_name="Whitfield").pk  # noqa: E731
    catherines = [make("Catherine") for _ in range(23)]
    katharines = [make("Katharine") for _ in range(22)]
    katherinas = [make("Katherina") for _ in range(5)]
    # When her given name is typed with a letter too many
    with CaptureQueriesContext(connection) as captured:
        found = _found(organization, "Katherinne Whitfield")
    # Then she comes first, then the holders of the most common correction two letters away, the newest first
    # (none has visited), and the page is full
    assert found == [katherine.pk, *sorted(catherines, reverse=True)[:19]]
    # and the corrected whole names' holders came from the database ranked, a guest once: a page of each name's
    # best holders whose score rounds (to three decimals, where the most recent visit breaks ties) into the page's
    # last one's or its neighbour's, not every holder of every correction (at a million guests, 865 rows for
    # "bping qin")
    ranked = [query["sql"] for query in captured.captured_queries if "row_number() OVER" in query["sql"]]
    assert len(ranked) == 1
    with connection.cursor() as cursor:
        cursor.execute(ranked[0])
        rows = cursor.fetchall()
    guests = [row[-4] for row in rows]  # customer, term, kind, last visit (after the typed words' counts, if any)
    assert len(guests) == len(set(guests))
    newest = lambda holders: sorted(holders, reverse=True)[:20]  # noqa: E731 - a name's best rows: a page of them
    assert set(guests) == {katherine.pk, *newest(catherines), *newest(katharines)}
    assert not set(guests) & set(katherinas)


@pytest.mark.parametrize(
    ("weight", "kept"), [(0.9091, True), (0.85, False)], ids=["within the margin of the cut", "below it"]
)
def test_a_corrected_name_read_last_is_kept_when_it_can_reach_the_page(organization, weight, kept):
    """The corrected whole names' best holders are read heaviest first, a later tier only when it can place
    (statements.best_holders_sql): 20 Zhang Weis hold the first name (0.91); a Zhang Wen seen since holds the ninth,
    whose 0.9091 rounds into the page's last score (the search then ranks him first, by his visit) — he comes back;
    at 0.85 he could not place, and does not."""
    now = timezone.now()
    weis = Customer.objects.bulk_create(
        Customer(
            organization=organization, given_name="Wei", family_name="Zhang", last_seen=now - timedelta(days=i + 2)
        )
        for i in range(20)
    )
    wen = Customer.objects.create(organization=organization, given_name="Wen", family_name="Zhang", last_seen=now)
    reindex([*weis, wen])
    nobody = [(f"zhangxx{n}", 0.9099 - n / 10_000) for n in range(7)]  # held by no guest: the second tier
    weighed = [("zhangwei", 0.91), *nobody, ("zhangwen", weight)]
    found = [row[0] for row in run(*best_holders_sql(organization, weighed, 20, WHOLE_PART_FACTORS, 0.0015))]
    assert found[:20] == [c.pk for c in weis]
    assert (wen.pk in found) is kept
