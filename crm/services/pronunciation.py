"""Writes of a guest's own recording of their name: checked (size, and the kind of audio the bytes really are),
stored under a name that says nothing about them, replaced or removed with the old file deleted after the commit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from crm.models import ChangeAction, Customer
from crm.services.common import User, delete_after_commit, record

MAX_AUDIO_BYTES = 1024 * 1024  # a name said a few times is ~20–60 kB of Opus; 1 MB leaves room for WAV
SNIFF_BYTES = 16


@dataclass(frozen=True)
class AudioKind:
    content_type: str
    extension: str


WEBM = AudioKind("audio/webm", "webm")
OGG = AudioKind("audio/ogg", "ogg")
MP4 = AudioKind("audio/mp4", "m4a")
MPEG = AudioKind("audio/mpeg", "mp3")
WAV = AudioKind("audio/wav", "wav")
AUDIO_KINDS = (WEBM, OGG, MP4, MPEG, WAV)
# What a browser may declare for each kind (MediaRecorder adds ";codecs=…"; some say video/webm for audio only).
DECLARED = {
    "audio/webm": WEBM,
    "video/webm": WEBM,
    "audio/ogg": OGG,
    "application/ogg": OGG,
    "audio/mp4": MP4,
    "audio/x-m4a": MP4,
    "audio/aac": MP4,
    "video/mp4": MP4,
    "audio/mpeg": MPEG,
    "audio/mp3": MPEG,
    "audio/wav": WAV,
    "audio/wave": WAV,
    "audio/x-wav": WAV,
    "audio/vnd.wave": WAV,
}


def sniff_audio(head: bytes) -> AudioKind | None:
    """The kind of audio the first bytes of a file are, whatever it was called: WebM (EBML), Ogg, MP4 (ftyp),
    MPEG (an ID3 tag or a frame sync), WAV (RIFF…WAVE); None for anything else."""
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return WEBM
    if head.startswith(b"OggS"):
        return OGG
    if head[4:8] == b"ftyp":
        return MP4
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return MPEG
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return WAV
    return None


def _checked(audio: UploadedFile) -> AudioKind:
    if audio.size is None or audio.size == 0:
        raise ValidationError({"audio": _("The recording is empty: record the name again.")}, code="empty")
    if audio.size > MAX_AUDIO_BYTES:
        raise ValidationError(
            {"audio": _("The recording is too long: at most 1 MB (a few seconds).")}, code="too_large"
        )
    declared = (audio.content_type or "").split(";")[0].strip().lower()
    audio.seek(0)
    kind = sniff_audio(audio.read(SNIFF_BYTES))
    audio.seek(0)
    if kind is None or (declared and declared != "application/octet-stream" and DECLARED.get(declared) != kind):
        raise ValidationError(
            {"audio": _("This is not a recording Rapport can play back: WebM, Ogg, MP4, MP3 or WAV audio only.")},
            code="not_audio",
        )
    return kind


@transaction.atomic
def customer_pronunciation_record(
    *, customer: Customer, audio: UploadedFile, consent: bool, actor: User | None = None
) -> Customer:
    """Keep the guest's recording of their own name (with their consent), replacing an earlier one."""
    if not consent:
        raise ValidationError(
            {"consent": _("Ask the guest first: tick that they agreed to be recorded.")}, code="no_consent"
        )
    kind = _checked(audio)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    old = customer.pronunciation_audio.name
    # A random name: the file system and the backups say nothing about whose voice it is.
    customer.pronunciation_audio.save(f"{uuid.uuid4().hex}.{kind.extension}", audio, save=False)
    customer.save(update_fields=["pronunciation_audio", "updated_at"])
    delete_after_commit(old, customer.pronunciation_audio.storage)
    record(
        actor=actor,
        action=ChangeAction.CUSTOMER_UPDATE,
        target=customer,
        changes={
            "pronunciation_audio": {"old": old, "new": customer.pronunciation_audio.name},
            "recording_consent": True,
        },
    )
    return customer


@transaction.atomic
def customer_pronunciation_remove(*, customer: Customer, actor: User | None = None) -> Customer:
    """Forget the guest's recording (they asked, or it was a bad take)."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    old = customer.pronunciation_audio.name
    if not old:
        return customer
    storage = customer.pronunciation_audio.storage
    customer.pronunciation_audio = ""
    customer.save(update_fields=["pronunciation_audio", "updated_at"])
    delete_after_commit(old, storage)
    record(
        actor=actor,
        action=ChangeAction.CUSTOMER_UPDATE,
        target=customer,
        changes={"pronunciation_audio": {"old": old, "new": ""}},
    )
    return customer


def audio_kind_of(customer: Customer) -> AudioKind | None:
    """The kind of the stored recording, by the extension it was stored under (it was sniffed on upload)."""
    extension = customer.pronunciation_audio.name.rsplit(".", 1)[-1] if customer.pronunciation_audio else ""
    return next((kind for kind in AUDIO_KINDS if kind.extension == extension), None)
