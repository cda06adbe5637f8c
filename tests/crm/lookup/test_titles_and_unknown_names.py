"""A name as the desk types it: with a courtesy title ("Mr Zhang", 张先生, 田中様), or a name nobody holds ("Mary
Lindqvist" among the Marys), which answers nothing so that the desk creates the guest."""

from __future__ import annotations

import pytest

from crm.lookup.normalize import without_titles
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"


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
    CustomerFactory(organization=organization, given_name="Mary", family_name="Martin")
    CustomerFactory(organization=organization, given_name="Mary", family_name="Jones")
    # when a new guest's name is typed, then nothing is found: the desk creates her
    assert _ids(api, "Mary Lindqvist") == []
    # as the name is typed, the Marys show until the surname names nobody
    assert len(_ids(api, "Mary")) == 2
    assert _ids(api, "Mary Lindq") == []


def test_a_middle_name_the_profile_lacks_still_finds_the_guest(api, organization):
    # given John Smith, whose profile holds no middle name, and Paul Jones
    john = CustomerFactory(organization=organization, given_name="John", family_name="Smith")
    CustomerFactory(organization=organization, given_name="Paul", family_name="Jones")
    # when his full name is typed with the middle name, then he is found: every word is some guest's
    assert _ids(api, "John Paul Smith") == [john.pk]
