"""A name as the desk types it: with a courtesy title ("Mr Zhang", 张先生, 田中様), or a name nobody holds ("Mary
Lindqvist" among the Marys), which answers nothing so that the desk creates the guest."""

from __future__ import annotations

import pytest

from crm.lookup.normalize import without_titles
from tests.crm.lookup.test_ranking import find, seen_guest
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"


def _named(organization, given: str, family: str, **fields):
    return CustomerFactory(organization=organization, given_name=given, family_name=family, **fields)


def _ids(api, text: str) -> list[int]:
    answer = api.get(URL, {"q": text})
    assert answer.status_code == 200, answer.content
    return [row["id"] for row in answer.json()["results"]]


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Mr Zhang", "Zhang"),
        ("Mrs. Smith", "Smith"),
        ("Dr Lee Ji-woo", "Lee Ji-woo"),
        ("张先生", "张"),
        ("陈小姐", "陈"),
        ("王 女士", "王"),
        ("田中様", "田中"),
        ("山田さん", "山田"),
        ("김민준 씨", "김민준"),
        ("Dr.Lee", "Lee"),
        ("Mr, Zhang", "Zhang"),
        ("Frau Dr. Schmidt", "Schmidt"),
        ("Mdm Tan", "Tan"),
        ("Sr. Garcia", "Garcia"),
        ("John Smith Jr.", "John Smith"),
        ("John Smith III", "John Smith"),
        ("Mr. O'Connor, Siobhán", "O'Connor, Siobhán"),
        ("张先生 Wei", "张 Wei"),
        ("Michael Herr", "Michael Herr"),  # a title word after a name is a name
        ("Elton Sir", "Elton Sir"),
        ("J. Smith", "J. Smith"),
        ("Mr", "Mr"),  # a title alone is what was typed
        ("先生", "先生"),
        ("mr.smith@example.com", "mr.smith@example.com"),  # an email as typed
        ("Missy Chen", "Missy Chen"),  # a name starting like a title is a name
    ],
)
def test_a_courtesy_title_is_not_read_as_a_name(typed, name):
    assert without_titles(typed) == name


def test_a_family_name_with_a_courtesy_title_finds_the_family(api, organization):
    # given two guests of the family name 张 (one written in traditional characters) and one of another
    zhang = CustomerFactory(organization=organization, native_name="张伟", given_name="", family_name="")
    chang = CustomerFactory(organization=organization, native_name="張麗", given_name="", family_name="")
    CustomerFactory(organization=organization, native_name="王芳", given_name="", family_name="")
    # when the desk types the name as it speaks of them, then the family's guests are found, and no other
    for typed in ("张先生", "張女士", "Mr Zhang", "Ms. Zhang"):
        assert sorted(_ids(api, typed)) == sorted([zhang.pk, chang.pk]), typed


def test_japanese_and_korean_honorifics_find_the_guest(api, organization):
    tanaka = CustomerFactory(organization=organization, native_name="田中 直樹", language="ja", given_name="")
    kim = CustomerFactory(organization=organization, native_name="김민준", language="ko", given_name="")
    assert _ids(api, "田中様") == [tanaka.pk]
    assert _ids(api, "田中さん") == [tanaka.pk]
    assert _ids(api, "김민준 씨") == [kim.pk]


def test_a_name_nobody_holds_answers_nothing_rather_than_other_guests_of_one_word(api, organization):
    # given Mary Martin and Mary Jones; nobody's name holds or resembles lindqvist
    _named(organization, "Mary", "Martin")
    _named(organization, "Mary", "Jones")
    # when a new guest's name is typed, then nothing is found: the desk creates her
    assert _ids(api, "Mary Lindqvist") == []
    # as the name is typed, the Marys show until the surname names nobody
    assert len(_ids(api, "Mary")) == 2
    assert _ids(api, "Mary Lindq") == []


def test_a_name_that_is_also_a_title_is_a_name(api, organization):
    # given Michael Herr and Michael Jordan
    herr = _named(organization, "Michael", "Herr")
    _named(organization, "Michael", "Jordan")
    # when his name is typed, then he alone is found: Herr after a name is his family name, not a title
    assert _ids(api, "Michael Herr") == [herr.pk]
    assert _ids(api, "Herr Herr") == [herr.pk]


def test_a_guest_holding_half_the_words_typed_or_fewer_is_another_person(api, organization):
    # given Mary Martin, Robert Jones and Chidi Okafor; nobody holds two of the words typed below together
    _named(organization, "Mary", "Martin")
    _named(organization, "Robert", "Jones")
    _named(organization, "Chidi", "Okafor")
    # when a name is typed that no guest has, however its words are held (as typed, by nickname, corrected, as the
    # start of a name), then nothing is found
    for typed in ("Mary Okafor", "Bob Okafor", "Jhon Okafor", "Rob Okafor", "Mary Jones", "Mary Ann Okafor"):
        assert _ids(api, typed) == [], typed


def test_a_middle_name_or_a_generation_the_profile_lacks_still_finds_the_guest(api, organization):
    # given John Smith, whose profile holds no middle name, and John Okafor
    john = _named(organization, "John", "Smith")
    _named(organization, "John", "Okafor")
    # when his full name is typed with a middle name or a generation, then he is found: he holds most of the words
    assert _ids(api, "John Paul Smith") == [john.pk]
    assert _ids(api, "John Smith Jr.") == [john.pk]


def test_two_words_of_three_a_guest_holds_apart_find_the_guest(api, organization):
    # given Ye-jun Kim, whose whole name is none of the typed words with one left out
    kim = _named(organization, "Ye-jun", "Kim", native_name="김예준")
    # when two letters of her given name go astray, then she is found by the two words she holds as typed
    assert _ids(api, "ye uju kim") == [kim.pk]


def test_kana_typed_after_kanji_do_not_bring_latin_names_before_the_kanjis_holders(organization):
    # given 山田 さくら and 山田 誠, seen a month ago, and guests whose Latin names start with "sa" (the romaji of さ),
    # seen since: more than a page of them
    sakura = seen_guest(organization, 30, native_name="山田 さくら", language="ja", given_name="")
    makoto = seen_guest(organization, 30, native_name="山田 誠", language="ja", given_name="")
    for number in range(22):
        seen_guest(organization, 1, given_name=f"Sa{'r' * (number % 3)}a{number}", family_name="Jones")
    # when her name is typed key by key, then the Yamadas lead the page, the name being typed first
    for typed in ("山田さ", "山田 さく"):
        assert find(organization, typed)[:2] == [sakura.pk, makoto.pk], typed
