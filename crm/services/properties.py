"""Writes of a property's brand: the logo, accent colour, postal address and signature its guests' mails carry.

The logo is checked with Pillow (a PNG or a JPEG it can read, not too large) and stored re-encoded under a random
name: what reaches guests' mailboxes is pixels Pillow wrote, without the upload's metadata (a phone photo's
location) or anything hidden after the image. The replaced file is deleted after the commit."""

from __future__ import annotations

import io
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from crm.models import ChangeAction, Property
from crm.services.common import User, assign, delete_after_commit, record

MAX_LOGO_BYTES = 512 * 1024  # a logo is a few kB to a few tens of kB; every mail carries it
MAX_LOGO_SIDE = 4000  # pixels: refused above (a decompression bomb is a small file of a huge image)
LOGO_WIDTH = 600  # stored at most this wide: the mail shows it at most 300 px wide, so twice that for sharp screens
LOGO_FORMATS = {"PNG": "png", "JPEG": "jpg"}
BRAND_FIELDS = ("accent_color", "postal_address", "signature", "pre_arrival_days")


def _logo_checked(logo: UploadedFile) -> tuple[bytes, str]:
    """The logo re-encoded by Pillow and its extension; ValidationError on the `logo` field otherwise."""
    if not logo.size:
        raise ValidationError({"logo": _("The logo file is empty.")}, code="empty")
    if logo.size > MAX_LOGO_BYTES:
        raise ValidationError({"logo": _("The logo is too large: at most 512 KB.")}, code="too_large")
    refused = ValidationError(
        {"logo": _("This is not a logo Rapport can use: a PNG or JPEG image only (no SVG).")}, code="not_an_image"
    )
    logo.seek(0)
    data = logo.read()
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            if kind not in LOGO_FORMATS:
                raise refused
            if max(image.size) > MAX_LOGO_SIDE:
                raise ValidationError(
                    {"logo": _("The logo is too large: at most 4000 pixels on a side.")}, code="too_many_pixels"
                )
            image.verify()  # a broken or truncated file
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image.thumbnail((LOGO_WIDTH, LOGO_WIDTH))
            out = io.BytesIO()
            if kind == "PNG":
                image.save(out, format="PNG", optimize=True)
            else:
                image.convert("RGB").save(out, format="JPEG", quality=90, optimize=True)
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise refused from exc
    return out.getvalue(), LOGO_FORMATS[kind]


@transaction.atomic
def property_brand_update(
    *,
    property: Property,
    actor: User | None = None,
    logo: UploadedFile | None = None,
    remove_logo: bool = False,
    **fields: Any,
) -> Property:
    """Set a property's brand: any of accent_color, postal_address, signature, and a new logo (or remove_logo).
    All or nothing: a refused field leaves the property and its stored logo as they were."""
    fields = dict(fields)
    if isinstance(fields.get("accent_color"), str):
        fields["accent_color"] = fields["accent_color"].strip().lower()
    if isinstance(fields.get("postal_address"), str):
        # Line breaks as typed in a browser (\r\n) become \n; blank lines at either end go.
        fields["postal_address"] = fields["postal_address"].replace("\r\n", "\n").strip("\n ")
    if isinstance(fields.get("signature"), str):
        fields["signature"] = fields["signature"].strip()
    encoded = _logo_checked(logo) if logo is not None else None
    property = Property.objects.select_for_update().get(pk=property.pk)
    changes = assign(property, fields, BRAND_FIELDS)
    old_logo = property.logo.name
    if remove_logo and old_logo and encoded is None:
        property.logo = ""
        changes["logo"] = {"old": old_logo, "new": ""}
    if not changes and encoded is None:
        return property
    property.full_clean()  # before the new logo is written: a refusal leaves no file behind
    if encoded is not None:
        data, extension = encoded
        # A random name: a new logo is a new URL, so no mail client or browser keeps showing the old one.
        property.logo.save(f"{uuid.uuid4().hex}.{extension}", ContentFile(data), save=False)
        changes["logo"] = {"old": old_logo, "new": property.logo.name}
    property.save(update_fields=[*sorted(changes), "updated_at"])
    if "logo" in changes:
        delete_after_commit(old_logo, property.logo.storage)
    record(actor=actor, action=ChangeAction.PROPERTY_BRAND, target=property, changes=changes)
    return property
