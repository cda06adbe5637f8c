"""The card's profile (issue 12): every field of the API edited on screen through customer_update, and the
guest's own recording of their name — checked on upload, played back to staff only, exported and erased."""

from __future__ import annotations

import base64
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from crm import services
from crm.models import AccessAction, AccessRecord, ChangeAction, ChangeRecord, Customer

pytestmark = pytest.mark.django_db

# The first bytes of each kind of audio (what the service sniffs), padded to a plausible size.
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01" + b"\x00" * 2000
OGG = b"OggS\x00\x02" + b"\x00" * 2000
WAV = b"RIFF\x24\x08\x00\x00WAVEfmt " + b"\x00" * 2000
MP3 = b"ID3\x04\x00\x00" + b"\x00" * 2000
MP4 = b"\x00\x00\x00\x20ftypM4A " + b"\x00" * 2000


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def card(desk, guest) -> str:
    return desk.get(f"/customers/{guest.pk}/").content.decode()


def profile_data(page: str, **changes) -> dict:
    """What the card's profile form posts as shown, with some fields changed."""
    form = page[page.index('id="profile-form"') : page.index("</form>", page.index('id="profile-form"'))]
    data = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if not name:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        if 'type="checkbox"' in tag:
            if "checked" in tag:
                data[name.group(1)] = "on"
        else:
            data[name.group(1)] = value.group(1).replace("&#x27;", "'") if value else ""
    for select in re.findall(r'<select name="([^"]+)".*?</select>', form, re.S):
        chosen = re.search(rf'<select name="{select}".*?<option value="([^"]*)"[^>]*selected', form, re.S)
        data[select] = chosen.group(1) if chosen else ""
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_every_field_of_the_profile_is_edited_on_the_card(desk, customer, frontdesk):
    page = card(desk, customer)
    # Given every field of the profile changed: what the desk types,
    typed = {
        "native_name": "Siobhán Ní Chonchúir",
        "preferred_name": "Shiv",
        "salutation": "Ms",
        "pronunciation": "SHIV-awn",
        "pronunciation_ipa": "ʃɪˈvɔːn",
        "pronunciation_note": "Stress on the second syllable",
        "email": "shiv@example.ie",
        "phone": "+353 85 765 4321",
        "birthday": "03-14",
        "anniversary": "2015-06-20",
        "tags": "VIP, business",
    }
    # and what it picks: a language from the list, marketing ticked, surprises unticked (None: not posted).
    data = profile_data(page, **typed, language="zh-hant", consent_marketing="on", consent_surprises=None)
    response = desk.post(f"/customers/{customer.pk}/profile/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    customer.refresh_from_db()
    assert (customer.preferred_name, customer.pronunciation_ipa, customer.language) == ("Shiv", "ʃɪˈvɔːn", "zh-hant")
    assert customer.phone == "+353857654321" and str(customer.birthday) == "03-14"
    assert str(customer.anniversary) == "2015-06-20" and customer.tags == ["VIP", "business"]
    assert customer.consent_marketing and not customer.consent_surprises and customer.consent_service
    assert ChangeRecord.objects.filter(action=ChangeAction.CUSTOMER_UPDATE, actor=frontdesk.user).exists()
    shown = card(desk, customer)
    assert '<span class="badge vip">★ VIP</span>' in shown and "SHIV-awn" in shown


def test_the_language_is_a_choice_of_the_languages_rapport_writes(desk, customer):
    page = card(desk, customer)
    assert re.search(r'<select name="language"[^>]*>\s*<option value="en" selected>English</option>', page)
    assert '<option value="zh-hans">简体中文</option>' in page and '<option value="zh-hant">繁體中文</option>' in page
    response = desk.post(f"/customers/{customer.pk}/profile/", profile_data(page, language="klingon"))
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()


def test_a_guests_other_language_tag_is_kept_when_the_profile_is_saved(desk, customer):
    services.customer_update(customer=customer, language="zh-Hant-TW")
    page = card(desk, customer)
    assert '<option value="zh-hant-tw" selected>zh-hant-tw</option>' in page  # stored as the service folds it
    desk.post(f"/customers/{customer.pk}/profile/", profile_data(page, preferred_name="Shiv"))
    customer.refresh_from_db()
    assert customer.language == "zh-hant-tw" and customer.preferred_name == "Shiv"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"phone": "12"}, "Enter a valid phone number"),
        ({"birthday": "02-30"}, "Enter a real date"),
        ({"given_name": "", "family_name": ""}, "At least one name is required"),
        ({"tags": "x" * 60}, "A tag holds at most 50 characters."),
    ],
)
def test_a_refused_profile_shows_the_error_on_the_field_and_changes_nothing(desk, customer, changes, message):
    page = card(desk, customer)
    response = desk.post(f"/customers/{customer.pk}/profile/", profile_data(page, **changes))
    html = response.content.decode()
    assert response.status_code == 400 and message in html and "<details open>" in html
    customer.refresh_from_db()
    assert customer.given_name == "Siobhán" and customer.phone == "" and customer.birthday is None


def test_a_refused_profile_can_be_corrected_and_saved(desk, customer):
    page = card(desk, customer)
    data = profile_data(page, phone="12")
    assert desk.post(f"/customers/{customer.pk}/profile/", data).status_code == 400
    assert desk.post(f"/customers/{customer.pk}/profile/", {**data, "phone": "+353 85 123 4567"}).status_code == 302
    customer.refresh_from_db()
    assert customer.phone == "+353851234567"


def test_another_organizations_profile_is_404(client, outsider, customer):
    client.force_login(outsider.user)
    assert client.post(f"/customers/{customer.pk}/profile/", {"given_name": "X"}).status_code == 404
    assert client.post(f"/customers/{customer.pk}/recording/", {}).status_code == 404
    assert client.get(f"/customers/{customer.pk}/recording.audio").status_code == 404
    assert client.get(f"/customers/{customer.pk}/timeline/").status_code == 404


# --- the recording of the name -------------------------------------------------


def upload(desk, guest, content: bytes, content_type: str, consent: bool = True):
    data = {"audio": SimpleUploadedFile("name.webm", content, content_type=content_type)}
    if consent:
        data["consent"] = "on"
    return desk.post(f"/customers/{guest.pk}/recording/", data)


@pytest.mark.parametrize(
    ("content", "content_type", "served_as"),
    [
        (WEBM, "audio/webm;codecs=opus", "audio/webm"),
        (OGG, "audio/ogg", "audio/ogg"),
        (WAV, "audio/wav", "audio/wav"),
        (MP3, "audio/mpeg", "audio/mpeg"),
        (MP4, "audio/mp4", "audio/mp4"),
    ],
)
def test_a_recording_is_kept_and_played_back_on_the_card(desk, customer, frontdesk, content, content_type, served_as):
    assert upload(desk, customer, content, content_type).status_code == 302
    customer.refresh_from_db()
    assert customer.pronunciation_audio.name.startswith("pronunciations/")
    assert "Siob" not in customer.pronunciation_audio.name  # the file's name says nothing about whose voice
    page = card(desk, customer)
    assert f'<audio controls preload="none" src="/customers/{customer.pk}/recording.audio"' in page
    served = desk.get(f"/customers/{customer.pk}/recording.audio")
    assert served.status_code == 200 and served["Content-Type"] == served_as
    assert b"".join(served.streaming_content) == content
    assert AccessRecord.objects.filter(customer_id=customer.pk, action=AccessAction.PROFILE, actor=frontdesk.user)


@pytest.mark.parametrize(
    ("content", "content_type", "message"),
    [
        (b"<html><script>alert(1)</script></html>" + b" " * 100, "audio/webm", "not a recording Rapport can play"),
        (WEBM, "text/html", "not a recording Rapport can play"),
        (OGG, "audio/webm", "not a recording Rapport can play"),  # the header lies about the bytes
        (WEBM[:4] + b"\x00" * (1024 * 1024 + 1), "audio/webm", "at most 1 MB"),
        (b"", "audio/webm", "empty"),
    ],
)
def test_a_recording_that_is_not_audio_or_too_big_is_refused_on_screen(desk, customer, content, content_type, message):
    response = upload(desk, customer, content, content_type)
    assert response.status_code == 400 and message in response.content.decode()
    customer.refresh_from_db()
    assert not customer.pronunciation_audio


def test_a_recording_needs_the_guests_consent(desk, customer, media):
    response = upload(desk, customer, WEBM, "audio/webm", consent=False)
    assert response.status_code == 400 and "agreed to be recorded" in response.content.decode()
    customer.refresh_from_db()
    assert not customer.pronunciation_audio and not list(media.rglob("*.webm"))


def test_a_new_recording_replaces_the_old_file(desk, customer, media, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload(desk, customer, WEBM, "audio/webm")
    customer.refresh_from_db()
    first = media / customer.pronunciation_audio.name
    with django_capture_on_commit_callbacks(execute=True):
        upload(desk, customer, OGG, "audio/ogg")
    customer.refresh_from_db()
    assert not first.exists() and (media / customer.pronunciation_audio.name).read_bytes() == OGG
    with django_capture_on_commit_callbacks(execute=True):
        desk.post(f"/customers/{customer.pk}/recording/delete/")
    customer.refresh_from_db()
    assert not customer.pronunciation_audio and not list(media.rglob("*.ogg"))


def test_the_recording_is_in_the_export_and_gone_after_the_erase(
    desk, manager_api, customer, media, django_capture_on_commit_callbacks
):
    upload(desk, customer, WEBM, "audio/webm")
    customer.refresh_from_db()
    stored = media / customer.pronunciation_audio.name
    files = manager_api.get(f"/api/v1/customers/{customer.pk}/export/").json()["files"]
    assert [(f["field"], f["content_type"], f["size"]) for f in files] == [
        ("pronunciation_audio", "audio/webm", len(WEBM))
    ]
    assert base64.b64decode(files[0]["base64"]) == WEBM
    with django_capture_on_commit_callbacks(execute=True):
        assert manager_api.post(f"/api/v1/customers/{customer.pk}/erase/").json()["files_deleted"] == 1
    assert not stored.exists() and not Customer.objects.filter(pk=customer.pk).exists()


def test_the_recording_service_refuses_without_the_card_too(customer):
    with pytest.raises(Exception) as refused:
        services.customer_pronunciation_record(
            customer=customer, audio=SimpleUploadedFile("x.mp3", b"MZ\x90\x00" * 100, "audio/mpeg"), consent=True
        )
    assert "audio" in refused.value.message_dict
