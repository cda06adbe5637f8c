"""A property's brand (issue 12): logo, accent colour, postal address and signature — the service's checks, the
managers' screen, the logo served to guests' pages, and the colour rules of crm.brand."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from crm import brand, services
from crm.models import ChangeAction, ChangeRecord, Property

pytestmark = pytest.mark.django_db


def image_file(kind: str = "PNG", size=(120, 40), colour=(255, 200, 0), name: str | None = None) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=kind)
    extension = {"PNG": "png", "JPEG": "jpg", "GIF": "gif"}[kind]
    return SimpleUploadedFile(name or f"logo.{extension}", out.getvalue(), content_type=f"image/{extension}")


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def stored(media: Path) -> list[str]:
    return sorted(p.name for p in (media / "brand").glob("*")) if (media / "brand").exists() else []


# --- the service -----------------------------------------------------------------------------------------


def test_a_manager_sets_the_brand_and_the_change_is_recorded(
    property_, manager, media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        updated = services.property_brand_update(
            property=property_,
            actor=manager.user,
            logo=image_file(),
            accent_color=" #0B6E4F ",
            postal_address="1 Harbour Road\r\nKowloon, Hong Kong\r\n",
            signature="Ana and the front desk team",
        )

    property_.refresh_from_db()
    assert property_.accent_color == "#0b6e4f"  # stored in lower case, as styles take it
    assert property_.postal_address == "1 Harbour Road\nKowloon, Hong Kong"
    assert property_.signature == "Ana and the front desk team"
    assert property_.logo.name.startswith("brand/") and property_.logo.name.endswith(".png")
    assert "logo" not in property_.logo.name.rsplit("/", 1)[1]  # a random name, not the upload's
    with Image.open(property_.logo.path) as logo:
        assert logo.format == "PNG" and logo.size == (120, 40)
    record = ChangeRecord.objects.get(action=ChangeAction.PROPERTY_BRAND, target_id=property_.pk)
    assert record.actor == manager.user
    assert record.changes["accent_color"] == {"old": brand.DEFAULT_ACCENT, "new": "#0b6e4f"}
    assert updated.pk == property_.pk


def test_a_new_logo_replaces_the_old_file_and_removing_it_deletes_it(
    property_, media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.property_brand_update(property=property_, logo=image_file())
    [first] = stored(media)

    with django_capture_on_commit_callbacks(execute=True):
        services.property_brand_update(property=property_, logo=image_file("JPEG"))
    [second] = stored(media)
    assert second != first and second.endswith(".jpg")

    with django_capture_on_commit_callbacks(execute=True):
        services.property_brand_update(property=property_, remove_logo=True)
    property_.refresh_from_db()
    assert not property_.logo and stored(media) == []


def test_a_big_logo_is_scaled_down_and_its_metadata_dropped(property_):
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010E] = "GPS somewhere"  # ImageDescription
    Image.new("RGB", (2400, 800), (10, 20, 30)).save(out, format="JPEG", exif=exif)
    services.property_brand_update(
        property=property_, logo=SimpleUploadedFile("photo.jpg", out.getvalue(), content_type="image/jpeg")
    )
    property_.refresh_from_db()
    with Image.open(property_.logo.path) as logo:
        assert logo.size == (600, 200)
        assert not logo.getexif()


@pytest.mark.parametrize(
    ("upload", "words"),
    [
        (SimpleUploadedFile("logo.svg", SVG, content_type="image/svg+xml"), "PNG or JPEG"),
        (SimpleUploadedFile("logo.png", SVG, content_type="image/png"), "PNG or JPEG"),  # an SVG called .png
        (image_file("GIF"), "PNG or JPEG"),
        (SimpleUploadedFile("logo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 40, content_type="image/png"), "PNG or JPEG"),
        (SimpleUploadedFile("logo.png", b"", content_type="image/png"), "empty"),
        (SimpleUploadedFile("logo.png", image_file().read() + b"\0" * 600_000, content_type="image/png"), "512 KB"),
        (image_file(size=(5000, 10)), "4000 pixels"),
    ],
    ids=["svg", "svg-named-png", "gif", "truncated-png", "empty", "over-512kb", "too-wide"],
)
def test_a_logo_that_is_not_a_small_png_or_jpeg_is_refused_and_nothing_is_written(property_, media, upload, words):
    with pytest.raises(ValidationError) as refused:
        services.property_brand_update(property=property_, logo=upload, signature="Changed too")

    assert words in " ".join(refused.value.message_dict["logo"])
    property_.refresh_from_db()
    assert property_.signature == "" and not property_.logo
    assert stored(media) == []
    assert not ChangeRecord.objects.filter(action=ChangeAction.PROPERTY_BRAND).exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"accent_color": "red"}, "accent_color"),
        ({"accent_color": "#12345"}, "accent_color"),
        ({"accent_color": "#1234567"}, "accent_color"),
        ({"accent_color": "#12345g"}, "accent_color"),
        ({"accent_color": "#123456;}body{x"}, "accent_color"),
        ({"postal_address": "1 Harbour Road\tKowloon"}, "postal_address"),
        ({"postal_address": "1 Harbour Road\x1b[31m"}, "postal_address"),
        ({"postal_address": "x" * 301}, "postal_address"),
        ({"signature": "Ana\nand the team"}, "signature"),
        ({"signature": "A" * 101}, "signature"),
    ],
)
def test_a_bad_colour_address_or_signature_is_refused_on_its_field(property_, media, fields, field):
    with pytest.raises(ValidationError) as refused:
        services.property_brand_update(property=property_, logo=image_file(), **fields)

    assert field in refused.value.message_dict
    property_.refresh_from_db()
    assert property_.accent_color == brand.DEFAULT_ACCENT and not property_.logo
    assert stored(media) == []  # the logo of a refused change is never written


def test_nothing_changed_writes_nothing(property_):
    services.property_brand_update(property=property_, accent_color=property_.accent_color, signature="")
    assert not ChangeRecord.objects.filter(action=ChangeAction.PROPERTY_BRAND).exists()


def test_the_database_refuses_a_colour_that_is_not_seven_characters(property_):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Property.objects.filter(pk=property_.pk).update(accent_color="red")


# --- the colours ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accent", "text"),
    [
        ("#1d3b5a", "#ffffff"),
        ("#0b6e4f", "#ffffff"),
        ("#ffd000", "#1d2330"),
        ("#f4f4f4", "#1d2330"),
        ("#000000", "#ffffff"),
        ("#ff0000", "#ffffff"),
        ("#808080", "#1d2330"),
    ],
)
def test_the_text_on_the_accent_is_white_or_dark_whichever_reads_better(accent, text):
    palette = brand.palette(accent)
    assert palette.on_accent == text
    # Mid-tones reach 4.5 with neither; the better one still passes for large text (the header, bold buttons).
    best = max(brand.contrast(accent, brand.LIGHT_TEXT), brand.contrast(accent, brand.DARK_TEXT))
    assert brand.contrast(accent, palette.on_accent) == best >= 3


@pytest.mark.parametrize("accent", ["#1d3b5a", "#ffd000", "#f4f4f4", "#000000", "#ff0000", "#0b6e4f", "#808080"])
def test_links_read_on_the_light_and_the_dark_card(accent):
    palette = brand.palette(accent)
    assert brand.contrast(palette.link, brand.LIGHT_BACKGROUND) >= brand.READABLE
    assert brand.contrast(palette.link_dark, brand.DARK_BACKGROUND) >= brand.READABLE


# --- the managers' screen --------------------------------------------------------------------------------


def test_front_desk_may_not_open_the_brand_screen(desk, property_):
    assert desk.get(f"/properties/{property_.pk}/brand/").status_code == 403
    assert desk.post(f"/properties/{property_.pk}/brand/", {"accent_color": "#000000"}).status_code == 403


def test_another_organizations_property_is_not_found(boss, other_property):
    assert boss.get(f"/properties/{other_property.pk}/brand/").status_code == 404
    assert boss.get(f"/properties/{other_property.pk}/brand/preview/").status_code == 404
    assert boss.get("/properties/99999999999999999999/brand/").status_code == 404


def test_a_manager_saves_the_brand_on_the_screen(boss, property_, media):
    page = boss.get(f"/properties/{property_.pk}/brand/")
    assert page.status_code == 200
    assert b"Preview a follow-up mail" in page.content

    response = boss.post(
        f"/properties/{property_.pk}/brand/",
        {
            "accent_color": "#0b6e4f",
            "postal_address": "1 Harbour Road\r\nKowloon",
            "signature": "Ana and the front desk team",
            "logo": image_file(),
        },
    )

    assert response.status_code == 302
    property_.refresh_from_db()
    assert (property_.accent_color, property_.signature) == ("#0b6e4f", "Ana and the front desk team")
    page = boss.get(response["Location"])
    assert "Saved" in page.content.decode()
    logo = page.context["logo_url"]
    assert logo.startswith(f"/brand/{property_.pk}/")


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"accent_color": "red"}, "accent_color", "six hexadecimal digits"),
        ({"accent_color": "#000000", "logo": SimpleUploadedFile("l.svg", SVG, "image/svg+xml")}, "logo", "no SVG"),
        (
            {"accent_color": "#000000", "logo": SimpleUploadedFile("l.png", b"\x89PNG" + b"\0" * 600_000, "image/png")},
            "logo",
            "512 KB",
        ),
        ({"accent_color": "#000000", "postal_address": "Road\x07 1"}, "postal_address", "Control characters"),
    ],
    ids=["colour", "svg", "huge", "control-characters"],
)
def test_a_refused_form_says_why_on_the_field_and_writes_nothing(boss, property_, media, data, field, words):
    response = boss.post(f"/properties/{property_.pk}/brand/", data)

    assert response.status_code == 400
    assert words in " ".join(response.context["form"].errors[field])
    property_.refresh_from_db()
    assert property_.accent_color == brand.DEFAULT_ACCENT and not property_.logo
    assert stored(media) == []


def test_the_logo_is_served_to_anyone_who_has_its_name_and_to_nobody_guessing(client, property_, media):
    services.property_brand_update(property=property_, logo=image_file())
    property_.refresh_from_db()
    path = brand.logo_path(property_)

    response = client.get(path)  # no login: guests' pages show it
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert client.get(f"/brand/{property_.pk}/not-its-name.png").status_code == 404
    assert client.get(path.replace(f"/brand/{property_.pk}/", f"/brand/{property_.pk + 1}/")).status_code == 404


def test_the_follow_up_queue_links_each_property_to_its_brand_screen(boss, property_):
    page = boss.get("/touches/").content.decode()
    assert f"/properties/{property_.pk}/brand/" in page
