"""Names as entered (issue 12): a guest entered as 陳靜 is greeted 陳靜 in a Simplified or a Traditional
greeting, on the brief and on the card; the lookup's folding (OpenCC, pinyin) never reaches what is shown."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

SIMPLIFIED_FORM = "陈静"


def entered(api, **fields) -> int:
    """Given staff entered the guest through the API, as typed; their id."""
    response = api.post("/api/v1/customers/", fields, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["id"]


@pytest.mark.parametrize(
    ("language", "greeting"),
    [("zh-Hant-TW", "歡迎光臨，陳靜！"), ("zh-Hans", "欢迎光临，陳靜！"), ("en", "Welcome, 陳靜!")],
)
def test_the_brief_greets_the_name_as_entered_in_every_script(api, language, greeting):
    guest = entered(api, native_name="陳靜", language=language)
    brief = api.get(f"/api/v1/customers/{guest}/brief/").json()
    assert brief["greet"]["text"] == greeting and brief["greet"]["name"] == "陳靜"
    assert brief["customer"]["display_name"] == "陳靜"
    assert SIMPLIFIED_FORM not in str(brief)


@pytest.mark.parametrize("language", ["zh-Hant", "zh-Hans", "en"])
def test_a_han_name_typed_as_family_and_given_name_is_shown_and_said_whole(api, desk, language):
    # Given 陳 as the family name and 靜 as the given name (the name order left at its default)
    guest = entered(api, family_name="陳", given_name="靜", language=language)
    brief = api.get(f"/api/v1/customers/{guest}/brief/").json()
    # Then nobody reads "靜 陳" or is greeted "靜" alone
    assert brief["customer"]["display_name"] == "陳靜" and brief["greet"]["name"] == "陳靜"
    page = desk.get(f"/customers/{guest}/").content.decode()
    assert "<h1>陳靜" in page and "靜 陳" not in page and SIMPLIFIED_FORM not in page


def test_the_card_shows_the_name_as_entered(api, desk):
    guest = entered(api, native_name="陳靜", family_name="陳", given_name="靜", language="zh-Hant")
    page = desk.get(f"/customers/{guest}/").content.decode()
    assert "<h1>陳靜" in page and "歡迎光臨，陳靜！" in page
    assert SIMPLIFIED_FORM not in page
    # and found by the simplified form, still shown as entered
    results = desk.post("/", {"q": SIMPLIFIED_FORM}, HTTP_HX_REQUEST="true").content.decode()
    assert "陳靜" in results and SIMPLIFIED_FORM not in results.replace(f'value="{SIMPLIFIED_FORM}"', "")
