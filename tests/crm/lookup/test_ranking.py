"""Ranking that uses everything typed (issue 15): ü however it is written, a whole name above a given name alone,
typed tones first, and search as you type from the first letter, namesakes most recent first."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm import services
from crm.lookup import search as lookup
from crm.lookup import terms
from crm.lookup.terms import reindex, visits
from crm.lookup.vocabulary import vocabulary_rebuild
from crm.models import Customer, SearchTerm, SearchTermVisit, TermKind
from crm.tasks import copy_visits
from tests.factories import CustomerFactory
from tests.transactions import held_open

pytestmark = pytest.mark.django_db


def find(organization, text):
    return [c.pk for c in lookup.search(organization=organization, text=text)]


def seen(customer, days_ago: float) -> None:
    services.contact_log(customer=customer, kind="visit", occurred_at=timezone.now() - timedelta(days=days_ago))


def seen_guest(organization, days_ago: float, **fields):
    """A guest of these fields, last seen days_ago."""
    customer = CustomerFactory(organization=organization, **fields)
    seen(customer, days_ago)
    return customer


LU = ("吕平东", "卢平东")  # Lǚ Píngdōng and Lú Píngdōng
NU = ("张女华", "张奴华")  # Zhāng Nǚhuá and Zhāng Núhuá


@pytest.mark.parametrize(
    ("names", "text", "first"),
    [
        (LU, "Lǚ Píngdōng", True),  # the tone marks say lǚ, not lú
        (LU, "Lǚpíngdōng", True),
        (LU, "lv pingdong", True),  # v and yu can only be ü
        (LU, "lyu pingdong", True),
        (LU, "lü pingdong", False),  # ü and u without tones read as lu too: 卢, seen later, may come first
        (LU, "lu pingdong", False),
        (LU, "Lǖ Píngdōng", False),  # another tone on the ü: still found
        (LU, "Lǘ Píngdōng", False),
        (LU, "Lǜ Píngdōng", False),
        (LU, "lupingdong", False),
        (NU, "Zhāng Nǚhuá", True),  # ü in a given name's syllable
        (NU, "zhang nvhua", True),
        (NU, "zhang nyuhua", True),
        (NU, "zhang nuhua", False),
        (NU, "zhang nü hua", False),
        (NU, "nǚhuá", False),
        (NU, "nvhua", True),
    ],
)
def test_u_umlaut_is_found_however_it_is_typed(organization, names, text, first):
    # Given a name with ü (吕, 女) and its twin with u (卢, 奴), the latter seen more recently
    wanted, rival = (
        CustomerFactory(organization=organization, native_name=name, given_name="", family_name="") for name in names
    )
    seen(wanted, days_ago=9)
    seen(rival, days_ago=1)
    # When the desk types the name with ü, v, u or yu, with or without tone marks
    found = find(organization, text)
    # Then the ü name is found; first when what was typed can only be it
    assert wanted.pk in found
    if first:
        assert found[0] == wanted.pk


@pytest.mark.parametrize(
    ("whole", "given_only", "text"),
    [
        ("袁轩", "王远轩", "yuan xuan"),
        ("陶敏", "李涛敏", "tao min"),
        ("贾若涵", "王佳若涵", "Jiǎ Ruòhán"),
        # One word: the whole name 肖英 (xiao ying) before the given name alone of 王小英 (issue 15's "given" queries)
        ("肖英", "王小英", "xiaoying"),
        ("林敏", "梁林敏", "林敏"),
    ],
)
def test_a_full_name_ranks_above_a_given_name_alone(organization, whole, given_only, text):
    # Given the guest whose whole name is typed, and namesakes whose given name alone reads the same,
    # the latter seen more recently
    wanted = CustomerFactory(organization=organization, native_name=whole, given_name="", family_name="")
    others = [
        CustomerFactory(organization=organization, native_name=given_only, given_name="", family_name="")
        for _ in range(3)
    ]
    seen(wanted, days_ago=30)
    for customer in others:
        seen(customer, days_ago=1)
    # When the desk types the name
    found = find(organization, text)
    # Then the whole name comes first, and the given-name matches still follow
    assert found[0] == wanted.pk
    assert {c.pk for c in others} <= set(found)


@pytest.mark.parametrize("text", ["yinghua zhang", "Yinghua Zhang", "zhang yinghua", "yinghuazhang"])
def test_pinyin_in_either_order_ranks_namesakes_by_visit_whichever_fields_hold_the_name(organization, text):
    # Given 张英华 held as a Han name alone, seen yesterday, and a namesake whose Latin fields hold "Yinghua Zhang"
    # too, seen a month ago (issue 15's pinyin queries: the first had ranked below the second given name first)
    han_only = CustomerFactory(organization=organization, native_name="张英华", given_name="", family_name="")
    latin = CustomerFactory(organization=organization, native_name="张英华", given_name="Yinghua", family_name="Zhang")
    seen(han_only, days_ago=1)
    seen(latin, days_ago=30)
    # When the desk types the pinyin, the family name first or last
    # Then both are the whole name, and the most recent visit comes first
    assert find(organization, text)[:2] == [han_only.pk, latin.pk]


@pytest.mark.parametrize(
    ("text", "holder_first"),
    [
        ("soren.tran", True),  # a dot says the address: its holder before namesakes seen since
        ("soren_tran", True),
        ("sorentran7", True),  # so does a digit
        ("sorentran", False),  # letters alone are a name as much: the namesakes by visit, the holder among them
    ],
)
def test_an_email_local_part_written_as_an_address_finds_its_holder_before_namesakes(organization, text, holder_first):
    # Given Søren Trần whose email's local part is typed, seen a year ago, and three namesakes seen this week
    # (issue 15's email queries at a million guests: "soren.tran" found its holder at rank 20)
    holder = CustomerFactory(
        organization=organization, given_name="Søren", family_name="Trần", email=f"{text}@hotmail.example"
    )
    namesakes = [CustomerFactory(organization=organization, given_name="Søren", family_name="Trần") for _ in range(3)]
    seen(holder, days_ago=365)
    for customer in namesakes:
        seen(customer, days_ago=2)
    # When the desk types the local part
    found = find(organization, text)
    # Then the holder comes first when the text could only be an address; otherwise a namesake seen this week does,
    # and the holder follows
    assert (found[0] == holder.pk) is holder_first
    assert holder.pk in found


@pytest.mark.parametrize("language", ["ja", "ko"])
def test_a_japanese_or_korean_guests_han_name_is_not_read_in_pinyin(organization, language):
    # Given Ken Sasaki, 佐々木 健, seen yesterday, and 王建 (Wáng Jiàn) seen a month ago (issue 15's given-name queries
    # at 100,000 guests: "Jian" found 佐々木 健 first, his 健 read as jian)
    sasaki = CustomerFactory(
        organization=organization, native_name="佐々木 健", given_name="Ken", family_name="Sasaki", language=language
    )
    wang = CustomerFactory(organization=organization, native_name="王建", given_name="", family_name="")
    seen(sasaki, days_ago=1)
    seen(wang, days_ago=30)
    # When the desk types Jian, then his names as he gives them
    # Then only 王建 reads jian; Ken Sasaki is found by his romaji and his characters, 々 and all
    assert find(organization, "Jian") == [wang.pk]
    assert find(organization, "zuozuomu") == []
    for text in ("Ken Sasaki", "sasaki", "佐々木", "佐々木 健", "健"):
        assert find(organization, text)[0] == sasaki.pk, text
    assert not SearchTerm.objects.filter(customer=sasaki, term__in=["jian", "zuomu", "zuozuomu"]).exists()


def test_kanji_beside_a_kana_given_name_are_the_family_name_whole(organization):
    # Given 山田 さくら, seen a week ago, and 山田 誠 and 山本 健, seen yesterday and two days ago (issue 15's prefix
    # queries at 100,000 guests: "山" found 山田 さくら first, her kanji cut as the family name 山 and the given 田)
    sakura = seen_guest(organization, 7, native_name="山田 さくら", language="ja", given_name="")
    makoto = seen_guest(organization, 1, native_name="山田 誠", language="ja", given_name="")
    ken = seen_guest(organization, 2, native_name="山本 健", language="ja", given_name="")
    # When the desk types 山, then 山田
    # Then 山 starts each family name, and 山田 is two guests' family name: the most recent visit first in both
    assert find(organization, "山") == [makoto.pk, ken.pk, sakura.pk]
    assert find(organization, "山田") == [makoto.pk, sakura.pk]
    assert not SearchTerm.objects.filter(customer=sakura, term="山").exclude(kind=TermKind.PREFIX).exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"native_name": "田中 直樹", "family_name": "田中", "given_name": "直樹"},  # as the new-guest form fills them
        {"native_name": "", "family_name": "田中", "given_name": "直樹"},  # the family name's own field: whole
    ],
)
def test_a_family_names_own_field_is_the_family_name_whole(organization, fields):
    # Given 田中 直樹 with his names in their fields, seen yesterday, and 田春康 seen a month ago
    tanaka = CustomerFactory(organization=organization, language="ja", **fields)
    tian = CustomerFactory(organization=organization, native_name="田春康", given_name="", family_name="")
    seen(tanaka, days_ago=1)
    seen(tian, days_ago=30)
    # When the desk types 田, then 田中
    # Then 田 is 田春康's family name and only the start of 田中's
    assert find(organization, "田")[:2] == [tian.pk, tanaka.pk]
    assert find(organization, "田中")[0] == tanaka.pk
    assert not SearchTerm.objects.filter(customer=tanaka, term="田").exclude(kind=TermKind.PREFIX).exists()


def test_a_han_character_finds_the_names_starting_with_it_before_names_reading_the_same(organization):
    # Given 山田 誠 seen a month ago, and 单霞明 (Shàn Xiámíng, whose family name reads shan) seen yesterday (issue 15's
    # prefix queries at 100,000 guests: "山" found 单霞明 first)
    yamada = CustomerFactory(organization=organization, native_name="山田 誠", language="ja", given_name="")
    shan = CustomerFactory(organization=organization, native_name="单霞明", given_name="", family_name="")
    seen(yamada, days_ago=30)
    seen(shan, days_ago=1)
    # When the desk types 山
    # Then the name starting with it comes first, the name reading the same after it
    assert find(organization, "山") == [yamada.pk, shan.pk]


@pytest.mark.parametrize("written", ["山田 さくら", "山田さくら"])
def test_a_name_in_kanji_and_kana_is_found_whole_and_by_its_family_name(organization, written):
    # Given 山田 さくら seen a week ago, and 山田 誠 seen yesterday
    sakura = CustomerFactory(organization=organization, native_name=written, language="ja", given_name="")
    makoto = CustomerFactory(organization=organization, native_name="山田 誠", language="ja", given_name="")
    seen(sakura, days_ago=7)
    seen(makoto, days_ago=1)
    # When the desk types her whole name, with or without its space, as she writes it
    # Then she comes first; 山田 alone is both guests' family name, the most recent first
    for text in ("山田 さくら", "山田さくら"):
        assert find(organization, text)[0] == sakura.pk, text
    # and as it is typed, from its first kana: the kanji alone no longer stand for what was typed
    for text in ("山田 さ", "山田さ", "山田さく"):
        assert find(organization, text) == [sakura.pk, makoto.pk], text
    assert find(organization, "山田") == [makoto.pk, sakura.pk]


def test_a_han_name_written_with_a_space_is_split_there(organization):
    # Given 田中 直樹, a Japanese guest written family name, a space, given name, seen yesterday, and 田春康, whose
    # family name is 田, seen a month ago (issue 15's surname queries at a million guests: "田" found 田中 直樹 first,
    # whose terms had split him as 田 + 中直树)
    tanaka = CustomerFactory(organization=organization, native_name="田中 直樹", given_name="", family_name="")
    tian = CustomerFactory(organization=organization, native_name="田春康", given_name="", family_name="")
    seen(tanaka, days_ago=1)
    seen(tian, days_ago=30)
    # When the desk types the surname 田, then his family name 田中, then his given name
    # Then 田 is 田春康's family name and only the start of 田中's: the family name first, the longer one after
    assert find(organization, "田")[:2] == [tian.pk, tanaka.pk]
    assert find(organization, "田中")[0] == tanaka.pk
    assert find(organization, "直樹") == [tanaka.pk]
    kinds = dict(SearchTerm.objects.filter(customer=tanaka).values_list("term", "kind"))
    assert kinds["田中"] == kinds["直树"] == TermKind.NAME
    assert "田" not in kinds


@pytest.mark.parametrize(
    ("given", "inside", "text"),
    [
        ("邹丽", "郝光丽", "丽"),  # issue 15's "given" queries: 丽 is 郝光丽's given name 光丽 only in part
        ("王娜", "欧阳娜娜", "娜"),
        ("李娜娜", "欧阳娜娜", "娜娜"),  # 欧阳娜娜's given name is 娜娜 too: both are given-name matches
    ],
)
def test_a_given_name_typed_alone_ranks_its_holders_before_names_holding_it_inside(organization, given, inside, text):
    # Given a guest whose given name is typed, seen a month ago, and 25 guests holding it inside their given name,
    # seen since: more than a page, which the index hands out in its order
    wanted = CustomerFactory(organization=organization, native_name=given, given_name="", family_name="")
    seen(wanted, days_ago=30)
    others = []
    for _ in range(25):
        others.append(CustomerFactory(organization=organization, native_name=inside, given_name="", family_name=""))
        seen(others[-1], days_ago=1)
    # When the desk types the given name alone
    found = find(organization, text)
    # Then its holder comes first when the others hold it only inside their given name; alike, the most recent first
    if text == "娜娜":
        assert found == [c.pk for c in reversed(others)][:20]
    else:
        assert found[0] == wanted.pk and found[1:] == [c.pk for c in reversed(others)][:19]


def test_a_han_names_inner_parts_are_terms_of_their_own_kind(organization):
    # Given 郝光丽 and 欧阳娜娜
    made = {
        name: CustomerFactory(organization=organization, native_name=name, given_name="", family_name="")
        for name in ("郝光丽", "欧阳娜娜")
    }
    # Then their inner parts are NAME_PART, the given and family names NAME, the whole name and its readings FULL_NAME
    part, name, full = TermKind.NAME_PART, TermKind.NAME, TermKind.FULL_NAME
    wanted = {
        "郝光丽": {"丽": part, "光丽": name, "郝": name, "郝光丽": full, "guanglihao": full},
        "欧阳娜娜": {"阳娜娜": part, "娜": part, "娜娜": name, "欧阳": name, "nanaouyang": full},
    }
    for native, kinds in wanted.items():
        terms = dict(SearchTerm.objects.filter(customer=made[native]).values_list("term", "kind"))
        assert {term: terms[term] for term in kinds} == kinds
    ouyang = made["欧阳娜娜"]
    # and keep their PREFIX rows, as migration 0024 wrote them
    assert SearchTerm.objects.filter(customer=ouyang, term="^阳娜", kind=TermKind.PREFIX).exists()


def test_typed_tones_rank_the_exact_reading_first_and_keep_the_others(organization):
    # Given 张伟 (Zhāng Wěi), and 张薇 (Zhāng Wēi) and 张维 (Zhāng Wéi) seen more recently
    wei3 = seen_guest(organization, 10, native_name="张伟", given_name="", family_name="")
    wei1 = seen_guest(organization, 2, native_name="张薇", given_name="", family_name="")
    wei2 = seen_guest(organization, 1, native_name="张维", given_name="", family_name="")
    # When the name is typed with its tones, 张伟 comes first and the others are still found
    toned = find(organization, "Zhāng Wěi")
    assert toned[0] == wei3.pk and {wei1.pk, wei2.pk} <= set(toned)
    # Typed without tones, the order stays the most recent visit first
    assert find(organization, "zhang wei")[:3] == [wei2.pk, wei1.pk, wei3.pk]


def test_one_character_answers_as_the_desk_types(organization):
    # Given guests with names in Han script and in Latin letters
    wang = CustomerFactory(organization=organization, native_name="王芳", given_name="", family_name="")
    smith = CustomerFactory(organization=organization, given_name="Sarah", family_name="Smith")
    li = CustomerFactory(organization=organization, native_name="李娜", given_name="", family_name="")
    # When one character is typed, the guests whose names start with it are found, and no one else
    assert find(organization, "王") == [wang.pk]
    assert find(organization, "w") == [wang.pk]
    assert find(organization, "s") == [smith.pk]
    assert li.pk not in find(organization, "s")


def many_wangs(organization, count: int) -> list[Customer]:
    """count guests named 王, the most recent visitors created last (the highest ids), three never seen."""
    now = timezone.now()
    guests = Customer.objects.bulk_create(
        Customer(
            organization=organization,
            native_name=f"王{given}",
            last_seen=None if i < 3 else now - timedelta(hours=count - i),
        )
        for i, given in zip(range(count), "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚" * (count // 20 + 1), strict=False)
    )
    reindex(guests)
    return sorted(guests, key=lambda c: c.last_seen or timezone.now() - timedelta(days=9999), reverse=True)


@pytest.mark.parametrize("text", ["王", "wang", "w", "wa"])
def test_more_namesakes_than_ever_read_show_the_twenty_most_recent_in_order(organization, text):
    # Given 520 guests named 王 (more than the 500 term rows the lookup once read), the latest visitors the newest
    wangs = many_wangs(organization, 520)
    # When the surname, or its first letters, is typed
    found = find(organization, text)
    # Then the 20 most recent visitors come back, latest first
    assert found == [c.pk for c in wangs[:20]]


@pytest.mark.postgres
def test_a_prefix_too_common_to_read_walks_the_recent_guests_to_the_same_answer(organization, monkeypatch):
    # Given 300 guests named 王 and a prefix cap below their count (a million guests' "w" holds ~200,000 rows)
    wangs = many_wangs(organization, 300)
    monkeypatch.setattr(lookup.words, "RANGE_ROWS", 50)
    # When a common prefix is typed (alone, or before a word that no whole name follows it with), then the walk
    # through the most recent guests gives the same 20, in order
    for text in ("w", "wa", "w wang"):
        assert find(organization, text) == [c.pk for c in wangs[:20]], text


@pytest.mark.postgres
@pytest.mark.parametrize(("text", "matches", "walked"), [("j wang", 45, True), ("f wang", 15, False)])
def test_a_common_surname_and_a_given_name_being_typed_walk_the_surname_to_the_same_answer(
    organization, monkeypatch, text, matches, walked
):
    # Given 300 guests named 王, 45 of whose given names start with j (军, 杰, 娟) and 15 with f (芳)
    many_wangs(organization, 300)
    # When the first letter of a given name and the surname are typed (no whole name starts with "jwang": the words
    # are read one by one), every candidate read (below FEW_ROWS)
    read_whole = find(organization, text)
    assert len(read_whole) == min(matches, 20)
    # Then with both words held by more than FEW_ROWS rows, walking the surname's holders most recent first, each
    # probed for the given name, gives the same page; a word with fewer rows still bounds the candidates
    monkeypatch.setattr(lookup.words, "FEW_ROWS", 40)
    with CaptureQueriesContext(connection) as queries:
        assert find(organization, text) == read_whole
    assert any(") AS anchor CROSS JOIN LATERAL" in query["sql"] for query in queries.captured_queries) == walked


def unsaved(organization, given: str, family: str, hours_ago) -> list[Customer]:
    """Guests not saved yet (for bulk_create, then reindex), each seen that many hours ago."""
    now = timezone.now()
    return [
        Customer(organization=organization, given_name=given, family_name=family, last_seen=now - timedelta(hours=h))
        for h in hours_ago
    ]


def test_a_guest_holding_many_names_starting_alike_does_not_crowd_the_others_off_the_page(organization, monkeypatch):
    # Given the most recent visitor, Kenneth Kennedy, whose four name terms start with "kenne" (kenneth, kennedy and
    # the whole name both ways), and two Kenneths seen before him
    monkeypatch.setattr(lookup.statements.prefixes, "PREFIX_ROWS_PER_GUEST", 1)  # as many rows as the page has guests
    kennedy = unsaved(organization, "Kenneth", "Kennedy", [1])
    others = unsaved(organization, "Kenneth", "Brown", [5]) + unsaved(organization, "Kenneth", "Hall", [9])
    reindex(Customer.objects.bulk_create(kennedy + others))
    # When "kenne" is typed for a page of two, then its rows read first (all four his) make no page: the range is
    # ranked again whole, and the next Kenneth takes the second place
    found = [c.pk for c in lookup.search(organization=organization, text="kenne", limit=2)]
    assert found == [kennedy[0].pk, others[0].pk]


@pytest.mark.parametrize(("holders", "longer"), [(25, 0), (5, 3)], ids=["a page of them", "fewer"])
def test_a_whole_word_held_by_a_page_of_guests_answers_before_any_longer_name(organization, holders, longer):
    # Given guests called Deborah seen in the last days, and three called Deborahlynn seen more recently still
    deborahs = unsaved(organization, "Deborah", "Smith", [24 + h for h in range(holders)])
    lynns = unsaved(organization, "Deborahlynn", "Jones", [1, 2, 3])
    reindex(Customer.objects.bulk_create(deborahs + lynns))
    # When "deborah" is typed, then the Deborahs come first, the most recent first, and a page of them is the
    # whole answer (the names that only start with it are not even read, statements.prefixes_sql's enough); with
    # fewer than a page, the Deborahlynns fill it
    assert find(organization, "deborah") == [c.pk for c in deborahs][:20] + [c.pk for c in lynns][:longer]


@pytest.mark.parametrize(("holders", "longer"), [(25, 0), (5, 3)], ids=["a page of them", "fewer"])
@pytest.mark.parametrize("text", ["wang zhen", "Wang  Zhen"])
def test_a_whole_name_held_by_a_page_of_guests_answers_before_names_starting_with_its_words(
    organization, holders, longer, text
):
    # Given guests called Zhen Wang seen in the last days, and three called Zhenhua Wang seen more recently still
    zhens = unsaved(organization, "Zhen", "Wang", [24 + h for h in range(holders)])
    zhenhuas = unsaved(organization, "Zhenhua", "Wang", [1, 2, 3])
    reindex(Customer.objects.bulk_create(zhens + zhenhuas))
    # When the two words are typed
    with CaptureQueriesContext(connection) as queries:
        found = find(organization, text)
    # Then the Zhen Wangs come first, the most recent first, and a page of them is the whole answer; with fewer
    # than a page, the Zhenhua Wangs (whose whole name only starts with the words joined) fill it
    assert found == [c.pk for c in zhens][:20] + [c.pk for c in zhenhuas][:longer]
    if connection.vendor == "postgresql" and holders >= 20:
        # and the names starting with wangzhen are not even read (4.9 ms for "Wáng Zhēn" at a million guests)
        first = queries.captured_queries[0]["sql"]
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + first)
            lines = [row[0] for row in cursor.fetchall()]
        ranges = [lines[n - 1] for n, line in enumerate(lines) if "term > " in line and "Index Cond" in line]
        assert ranges and all("never executed" in node for node in ranges), "\n".join(lines)


def test_a_name_starting_with_the_words_typed_ties_with_a_nickname_and_leads_by_its_visit(organization):
    """A guest whose whole name starts with the words typed scores what the words one by one would (0.925 for
    two), as much as a nickname of the first word does: a page of nicknames seen long ago leaves room for the one
    seen today. The search once stopped at a page scoring a prefix's weight, below that (0.85)."""
    jacks = unsaved(organization, "Jack", "Smith", [48 + h for h in range(25)])
    smithson = unsaved(organization, "John", "Smithson", [1])
    reindex(Customer.objects.bulk_create(jacks + smithson))
    assert find(organization, "John Smith") == [smithson[0].pk] + [c.pk for c in jacks][:19]


def find_walked(organization, monkeypatch, text: str, **bounds) -> tuple[list[int], list[str]]:
    """find() with the lookup's bounds set low (FEW_ROWS 10, walks of 30 guests, and the others given), and the
    statements it ran."""
    monkeypatch.setattr(lookup.words, "FEW_ROWS", 10)
    monkeypatch.setattr(lookup.statements.every_word, "WALK_ROWS", 30)
    for name, value in bounds.items():
        monkeypatch.setattr(lookup.words if hasattr(lookup.words, name) else lookup, name, value)
    with CaptureQueriesContext(connection) as queries:
        found = find(organization, text)
    return found, [query["sql"] for query in queries.captured_queries]


@pytest.mark.postgres
@pytest.mark.parametrize("names", [25, 3], ids=["a page of names", "fewer"])
def test_a_page_found_by_a_names_walk_leaves_the_emails_starting_alike_unwalked(organization, monkeypatch, names):
    # Given guests called Kenneth seen in the last days, and 25 guests with other names whose emails start with
    # kenne, seen more recently still
    kenneths = unsaved(organization, "Kenneth", "Lee", [24 + h for h in range(names)])
    mailed = unsaved(organization, "Bob", "Smith", [1 + h / 10 for h in range(25)])
    for n, guest in enumerate(mailed):
        guest.email = f"kennedy{n}@example.com"
    reindex(Customer.objects.bulk_create(kenneths + mailed))
    # and both "kenne" ranges held by more rows than are read whole (walked instead): when "kenne" is typed
    found, statements = find_walked(organization, monkeypatch, "kenne", PREFIX_RANGE_ROWS=5)
    walks = [sql for sql in statements if "anchor" in sql]
    if names >= 20:
        # Then a page of Kenneths, the most recent first, and the emails' walk is not taken: an email's start
        # scores less than a name's
        assert found == [c.pk for c in kenneths][:20]
        assert len(walks) == 1, walks
    else:
        # with fewer than a page of names, the emails' walk fills it
        assert found == [c.pk for c in kenneths] + [c.pk for c in mailed][:17]
        assert len(walks) == 2, walks


@pytest.mark.postgres
def test_a_common_names_walk_leaves_a_rarer_email_range_starting_alike_neither_counted_nor_read(
    organization, monkeypatch
):
    # Given 25 guests called Kenneth seen in the last days, and 3 guests with other names whose emails start with
    # kenne, seen more recently still
    kenneths = unsaved(organization, "Kenneth", "Lee", [24 + h for h in range(25)])
    mailed = unsaved(organization, "Bob", "Smith", [1, 2, 3])
    for n, guest in enumerate(mailed):
        guest.email = f"kennedy{n}@example.com"
    reindex(Customer.objects.bulk_create(kenneths + mailed))
    # and "kenne"'s names held by more rows than are read whole (walked), its emails' by fewer: when "kenne" is typed
    found, statements = find_walked(organization, monkeypatch, "kenne", PREFIX_RANGE_ROWS=20)
    # Then a page of Kenneths, the most recent first: an email's start scores less than a name's
    assert found == [c.pk for c in kenneths][:20]
    # and the emails' range, which the names' walk outranks, was neither counted nor read (its branch never ran)
    first = next(sql for sql in statements if "WITH counted" in sql)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + first)
        lines = [row[0] for row in cursor.fetchall()]
    emails = [lines[n - 1] for n, line in enumerate(lines) if "'@kenne'::text" in line and "Index Cond" in line]
    assert emails and all("never executed" in node for node in emails), "\n".join(lines)
    assert len([sql for sql in statements if "anchor" in sql]) == 1, statements


@pytest.mark.postgres
@pytest.mark.parametrize("joined_rows", [200, 3], ids=["read by its range", "walked from its own prefix rows"])
def test_two_words_as_short_as_a_prefix_row_rank_the_whole_names_starting_with_them_first(
    organization, monkeypatch, joined_rows
):
    # Given 21 guests called Liu Wei (liuwei), a more recent one called Liuwen Zhang (whose whole name given name
    # first, liuwenzhang, starts with liuw too), the most recent visitor Anna Liuwen Smith (a middle name starting
    # with liuw: no whole name of hers does), and ten called Liu Fang
    weis = unsaved(organization, "Wei", "Liu", [10 + h for h in range(21)])
    liuwen = unsaved(organization, "Liuwen", "Zhang", [2])
    anna = unsaved(organization, "Anna Liuwen", "Smith", [1])
    fangs = unsaved(organization, "Fang", "Liu", [3 + h for h in range(10)])
    reindex(Customer.objects.bulk_create(weis + liuwen + anna + fangs))
    # When "liu w" is typed (liuw: as short as a PREFIX row, which cannot tell a whole name from a part of one)
    monkeypatch.setattr(lookup, "JOINED_RANGE_ROWS", joined_rows)
    with CaptureQueriesContext(connection) as queries:
        found = find(organization, "liu w")
    # Then a page of the guests whose whole name starts with the words, scored as "liu" and a prefix of "wei" one by
    # one would score them, the most recent first: not Anna Liuwen Smith, whose middle name only starts with them,
    # however recent (walked, only whole names are walked), nor anyone called Liu Fang
    assert found == [liuwen[0].pk] + [c.pk for c in weis][:19]
    # and the words were not read one by one: no walk of Liu's holders, no count of each word
    statements = [q["sql"] for q in queries.captured_queries]
    assert not any(" AS n0" in sql or "INTERSECT" in sql for sql in statements), statements
    assert len(statements) == (2 if joined_rows > 3 else 3), statements  # the walk between the first and the winners


@pytest.mark.parametrize("text", ["a b", "ma j"])
def test_two_words_shorter_than_four_letters_joined_are_read_one_by_one(organization, text):
    # Given Abigail Jones and Majid Omar, seen today (whole names starting with ab and maj), and Anna Brown and Maria
    # Jones, seen last week
    recent = unsaved(organization, "Abigail", "Jones", [1]) + unsaved(organization, "Majid", "Omar", [1])
    older = unsaved(organization, "Anna", "Brown", [170]) + unsaved(organization, "Maria", "Jones", [170])
    reindex(Customer.objects.bulk_create(recent + older))
    # When initials or the start of each word are typed
    found = find(organization, text)
    # Then the guest whose words start with each typed word is found, not only the whole names starting with them
    wanted = older[0] if text == "a b" else older[1]
    assert wanted.pk in found


@pytest.mark.postgres
def test_words_all_too_common_to_read_are_only_walked(organization, monkeypatch):
    # Given 40 guests called Anna Maria Smith (no whole name starts with "annasmith": the words are read one by
    # one), 5 of them the most recent visitors and 35 not seen for a year, among 60 other Smiths and 60 other Annas
    recent = unsaved(organization, "Anna Maria", "Smith", [1, 2, 3, 4, 5])
    rows = Customer.objects.bulk_create(
        recent
        + unsaved(organization, "Anna Maria", "Smith", [9000 + h for h in range(35)])
        + unsaved(organization, "Bob", "Smith", [10 + h for h in range(60)])
        + unsaved(organization, "Anna", "Lee", [100 + h for h in range(60)])
    )
    reindex(rows)
    # and both words held by more rows than the lookup reads whole, and walks of 30 guests: when "anna smith" is typed
    found, statements = find_walked(organization, monkeypatch, "anna smith", RANGE_ROWS=20)
    # Then the matches the walks meet come back, latest first, and no word is read whole: the work does not grow
    # with the holders of the words (the 35 who have not come for a year are left to a more precise query)
    assert found == [c.pk for c in recent]
    assert not any("INTERSECT" in sql or "SELECT DISTINCT customer_id" in sql for sql in statements)


@pytest.mark.postgres
def test_two_common_words_few_hold_together_are_intersected_after_a_short_walk(organization, monkeypatch):
    # Given two Anna Maria Smiths not seen for a year, among 60 Bob Smiths and 60 Anna Lees seen since (no whole
    # name starts with "annasmith": the words are read one by one)
    targets = unsaved(organization, "Anna Maria", "Smith", [9000, 9100])
    rows = Customer.objects.bulk_create(
        targets
        + unsaved(organization, "Bob", "Smith", [1 + h for h in range(60)])
        + unsaved(organization, "Anna", "Lee", [100 + h for h in range(60)])
    )
    reindex(rows)
    # and both words held by more rows than FEW_ROWS: when "anna smith" is typed
    found, statements = find_walked(organization, monkeypatch, "anna smith", FIRST_WALK_ROWS=10)
    # Then both come back, the later seen first, from the words' holders intersected — after one short walk of
    # smith's 10 most recent holders, which met none: the walk is not taken on (its guests would be replaced by the
    # intersection's anyway; 20 of the 37 ms of "john mih" at a million guests)
    assert found == [c.pk for c in targets]
    walks = [sql for sql in statements if "AS anchor" in sql]
    assert len(walks) == 1 and "LIMIT 10) AS anchor" in walks[0], walks
    assert any("INTERSECT" in sql for sql in statements)


@pytest.mark.postgres
def test_a_short_walk_meeting_matches_is_taken_on_before_any_word_is_counted(organization, monkeypatch):
    # Given smith's holders, most recent first: two Anna Maria Smiths and eight Bob Smiths, then 20 Anna Maria
    # Smiths, then 60 Bob Smiths; and 60 Anna Lees
    first = unsaved(organization, "Anna Maria", "Smith", [1, 3])
    later = unsaved(organization, "Anna Maria", "Smith", [11 + h for h in range(20)])
    rows = Customer.objects.bulk_create(
        first
        + later
        + unsaved(organization, "Bob", "Smith", [2, 4, 5, 6, 7, 8, 9, 10])
        + unsaved(organization, "Bob", "Smith", [31 + h for h in range(60)])
        + unsaved(organization, "Anna", "Lee", [100 + h for h in range(60)])
    )
    reindex(rows)
    # When "anna smith" is typed, the first walk (10 holders) meets two: at that rate the whole walk (30) fills the
    # page, and it does — the words are not counted to learn whether one is rare ("li g": 5.6 ms, not 39)
    found, statements = find_walked(organization, monkeypatch, "anna smith", FIRST_WALK_ROWS=10)
    assert found == [c.pk for c in first + later][:20]
    walks = [sql for sql in statements if "AS anchor" in sql]
    assert len(walks) == 2 and "LIMIT 10) AS anchor" in walks[0] and "LIMIT 30) AS anchor" in walks[1], walks
    assert not any("LIMIT 50001" in sql for sql in statements)


@pytest.mark.postgres
def test_a_rare_word_probed_for_a_common_one_checks_its_best_candidates_only(organization, monkeypatch):
    # Given 60 guests called Anna — 50 Anna Lee and 3 Anna Maria Smith seen this month, 7 Anna Maria Smith seen a
    # year ago — and 200 Bob Smiths seen this week (no whole name starts with "annasmith")
    recent = unsaved(organization, "Anna Maria", "Smith", [200, 210, 220])
    rows = Customer.objects.bulk_create(
        recent
        + unsaved(organization, "Anna Maria", "Smith", [9000 + h for h in range(7)])
        + unsaved(organization, "Anna", "Lee", [250 + h for h in range(50)])
        + unsaved(organization, "Bob", "Smith", range(1, 201))
    )
    reindex(rows)
    # and both words held by more rows than FEW_ROWS, smith by more than are read whole (three rows a guest: the
    # name, its sound-alike key and the whole name starting with it; anna: 180), walks of 30 guests, and 40
    # candidates probed at most. When "anna smith" is typed (the walk of smith's 30 most recent holders meets Bob
    # Smiths only; anna is the rare word, each of its holders probed for smith)
    found, statements = find_walked(organization, monkeypatch, "anna smith", RANGE_ROWS=200, CHECK_ROWS=40)
    # Then its 40 best holders — the most recent Annas — are the candidates: the three Anna Maria Smiths among them
    # come back, latest first; the seven not seen for a year are beyond the bound
    assert found == [c.pk for c in recent]
    probed = [sql for sql in statements if "SELECT DISTINCT customer_id" in sql]
    assert len(probed) == 1 and "LIMIT 40" in probed[0]


@pytest.mark.postgres
def test_a_word_nobody_holds_checks_fewer_of_its_sound_alike_holders(organization, monkeypatch):
    # Given guests whose name sounds like "mayu" but is two letters from it (Moya): 30 Moya Smiths seen in the last
    # day, then 15 Moya Wangs seen this week and 10 a year ago; and 120 Bob Wangs. Nobody's name holds "mayu"
    # (the vocabulary knows it as no one's word) and nothing is one letter from it.
    smiths = unsaved(organization, "Moya", "Smith", [1 + h / 10 for h in range(30)])
    recent = unsaved(organization, "Moya", "Wang", [30 + h for h in range(15)])
    rows = Customer.objects.bulk_create(
        smiths
        + recent
        + unsaved(organization, "Moya", "Wang", [9000 + h for h in range(10)])
        + unsaved(organization, "Bob", "Wang", [100 + h for h in range(120)])
    )
    words: dict = {}
    reindex(rows, words=words)
    vocabulary_rebuild(organization.pk, words[organization.pk])
    # When "mayu wang" is typed, mayu's holders are its sound-alike's (a guess, below any correction), the rare
    # word: its 40 most recent holders are probed for wang, where a word a guest holds would have had its 1,000
    found, statements = find_walked(
        organization, monkeypatch, "mayu wang", RANGE_ROWS=200, CHECK_ROWS=1000, GUESSED_CHECK_ROWS=40
    )
    # Then the ten Moya Wangs among them come back, latest first; those behind the 30 Smiths' rows are not probed
    assert found == [c.pk for c in recent][:10]
    probed = [sql for sql in statements if "SELECT DISTINCT customer_id" in sql]
    assert len(probed) == 1 and "LIMIT 40" in probed[0], probed


def test_search_terms_follow_the_latest_contact(organization):
    # Given two namesakes, the one seen later found first
    first, second = (
        CustomerFactory(organization=organization, native_name="王芳", given_name="", family_name="") for _ in range(2)
    )
    seen(first, days_ago=5)
    seen(second, days_ago=3)
    assert find(organization, "王")[:2] == [second.pk, first.pk]
    # When the other one comes back today, then it is found first; a back-dated contact changes nothing
    seen(first, days_ago=0)
    seen(second, days_ago=20)
    assert find(organization, "王")[:2] == [first.pk, second.pk]
    # and once the last visits are copied (beat, every few seconds), every term of the guest carries the new one
    assert SearchTermVisit.objects.filter(customer_id__in=[first.pk, second.pk]).count() == 2
    terms.visits_copy()
    first.refresh_from_db()
    assert set(SearchTerm.objects.filter(customer=first).values_list("last_seen", flat=True)) == {first.last_seen}
    assert not SearchTermVisit.objects.exists() and terms.visits_copy() == 0


def test_a_guest_just_seen_leads_more_than_a_page_of_namesakes_once_the_visit_is_copied(organization):
    # Given 25 guests named 王, and the one seen longest ago comes back today
    wangs = many_wangs(organization, 25)
    oldest = wangs[-4]  # the last three were never seen
    seen(oldest, days_ago=0)
    # Then within seconds — when beat copies the visit into the guest's search terms — the guest leads the page
    terms.visits_copy()
    assert find(organization, "王")[0] == oldest.pk


def test_the_start_of_a_second_word_is_the_start_of_another_word_of_the_name(organization):
    # Given 王伟 (Wang Wei), and 王芳 (Wang Fang) seen since
    wei, fang = (
        CustomerFactory(organization=organization, native_name=name, given_name="", family_name="")
        for name in ("王伟", "王芳")
    )
    seen(fang, days_ago=0)
    # When "wang w" is typed, then Wang Wei is found: the w after the space starts a second word, and "wang" itself
    # does not stand for it; "wang f" finds Wang Fang
    assert find(organization, "wang w") == [wei.pk]
    assert find(organization, "wang f") == [fang.pk]


def test_the_beat_task_copies_every_pending_visit_in_batches(organization, monkeypatch):
    # Given five guests seen today, their visits pending
    guests = [CustomerFactory(organization=organization, given_name="Wei", family_name="Zhang") for _ in range(5)]
    for guest in guests:
        seen(guest, days_ago=0)
    # and the pending row of a guest no longer on file, first in the queue
    SearchTermVisit.objects.create(customer_id=0)
    # When beat runs the copy, two guests a batch
    monkeypatch.setattr(visits, "VISITS_BATCH", 2)
    assert copy_visits.apply().get() >= 6  # with any other pending guest of the database
    # Then every guest's terms carry their last visit, and nothing is left pending (the guest gone is dropped)
    for guest in guests:
        guest.refresh_from_db()
        assert set(SearchTerm.objects.filter(customer=guest).values_list("last_seen", flat=True)) == {guest.last_seen}
    assert not SearchTermVisit.objects.filter(customer_id__in=[0, *(g.pk for g in guests)]).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_copy_beside_a_contact_in_flight_neither_waits_nor_loses_its_visit(organization):
    """The copy locks the guests' rows before deleting their pending rows, as a contact does: the two never wait on
    each other in opposite orders (a deadlock, one of them aborted), and a visit still being logged is copied next."""
    guest = CustomerFactory(organization=organization, given_name="Wei", family_name="Zhang")
    seen(guest, days_ago=3)
    # Another desk logs a visit and holds its transaction open (the guest's row locked, a pending row there)
    with held_open(lambda: services.contact_log(customer=Customer.objects.get(pk=guest.pk), kind="visit")):
        # When the copy runs meanwhile, it returns at once without the guest (skipped, not waited for)
        started = time.monotonic()
        terms.visits_copy()
        assert time.monotonic() - started < 1
    # Then the next run copies the visit the desk logged
    terms.visits_copy()
    guest.refresh_from_db()
    assert set(SearchTerm.objects.filter(customer=guest).values_list("last_seen", flat=True)) == {guest.last_seen}
    assert not SearchTermVisit.objects.filter(customer_id=guest.pk).exists()
