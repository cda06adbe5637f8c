"""The columns of a guest list: headers recognized in English and Chinese, and the fields a column may be
mapped to on screen or with the API's `mapping`."""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext_lazy as _

from crm.models import PreferenceCategory
from crm.services.customers import CUSTOMER_FIELDS

FULL_NAME = "full_name"  # one column with the whole name: Han → native_name, else given names + family name
EXTERNAL_ID = "external_id"  # "external_id" (the import's system) or "external_id:SYSTEM"
PREFERENCE = "preference"  # "preference:CATEGORY"
IGNORE = "ignore"
NAME_TARGETS = frozenset({FULL_NAME, "given_name", "family_name", "native_name", "preferred_name"})
# The customer fields a column can fill: those callers may write (CUSTOMER_FIELDS), in their order, but how a name
# is ordered, spelled in Latin letters and said, the consents and the home property, which the card sets.
CUSTOMER_TARGETS = tuple(
    name
    for name in CUSTOMER_FIELDS
    if name not in {"name_order", "latin_name", "home_property", "do_not_contact"}
    and not name.startswith(("pronunciation", "consent_"))
)
DATE_TARGETS = frozenset({"birthday", "anniversary"})
DEFAULT_SYSTEM = "pms"

# What each target is called on the mapping form.
TARGET_LABELS = {
    FULL_NAME: _("Full name"),
    "given_name": _("Given name"),
    "family_name": _("Family name"),
    "native_name": _("Name in its own script"),
    "preferred_name": _("Preferred name"),
    "salutation": _("Salutation"),
    "language": _("Language"),
    "email": _("Email"),
    "phone": _("Phone"),
    "birthday": _("Birthday"),
    "anniversary": _("Anniversary"),
    "tags": _("Tags"),
    EXTERNAL_ID: _("Id in your PMS"),
    **{
        f"{PREFERENCE}:{value}": _("Preference: %(category)s") % {"category": label}
        for value, label in PreferenceCategory.choices
    },
    IGNORE: _("Ignore this column"),
}

_HEADERS = {
    FULL_NAME: "name, full name, guest name, guest, customer name, client name, 姓名, 名字, 客人姓名, "
    "宾客姓名, 賓客姓名, 客户姓名, 客戶姓名, 住客姓名, 全名",
    "given_name": "first name, given name, firstname, forename, given names, 名",
    "family_name": "last name, surname, family name, lastname, 姓, 姓氏",
    "native_name": "native name, chinese name, name in chinese, local name, 中文名, 中文姓名",
    "preferred_name": "preferred name, nickname, known as, 昵称, 暱稱, 常用名",
    "salutation": "salutation, title, 称呼, 稱呼, 称谓, 稱謂",
    "language": "language, preferred language, 语言, 語言",
    "email": "email, e-mail, email address, e-mail address, mail, 邮箱, 郵箱, 电子邮件, 電子郵件, "
    "电子邮箱, 電子郵箱, 邮件, 電郵",
    "phone": "phone, mobile, mobile phone, cell, cell phone, telephone, tel, phone number, mobile number, 手机, 手機, "
    "手机号, 手機號, 手机号码, 手機號碼, 电话, 電話, 电话号码, 電話號碼, 联系电话, 聯絡電話, 联系方式",
    "birthday": "birthday, date of birth, dob, birth date, birthdate, 生日, 出生日期, 出生年月日",
    "anniversary": "anniversary, wedding anniversary, 纪念日, 紀念日, 结婚纪念日, 結婚紀念日",
    "tags": "tags, tag, labels, 标签, 標籤",
    EXTERNAL_ID: "guest id, profile id, pms id, external id, member id, member number, membership number, "
    "会员号, 會員號, 会员编号, 會員編號, 客户编号, 客戶編號, 客人编号",
    f"{PREFERENCE}:allergy": "allergy, allergies, 过敏, 過敏, 过敏原",
    f"{PREFERENCE}:dietary": "dietary, diet, dietary requirements, 饮食, 飲食, 饮食要求, 飲食要求, 忌口",
    f"{PREFERENCE}:room": "room preference, room preferences, 房间偏好, 房間偏好",
    f"{PREFERENCE}:drink": "drink, drinks, drink preference, 饮品, 飲品",
    f"{PREFERENCE}:other": "preferences, preference, 偏好, 喜好",
}


def fold(header: str) -> str:
    """A header as compared: NFKC (full-width letters), lower case, without spaces, punctuation or a BOM."""
    text = unicodedata.normalize("NFKC", header).lower()
    return re.sub(r"[\s_\-.:：/()（）*#]+", "", text.replace("\ufeff", ""))


RECOGNIZED = {fold(name): target for target, names in _HEADERS.items() for name in names.split(",")}

LANGUAGE_WORDS = {
    fold(word): code
    for code, words in {
        "en": "english, 英语, 英語, 英文",
        "zh-hans": "chinese, simplified chinese, 中文, 简体中文, 簡體中文, 普通话, 汉语, 國語",
        "zh-hant": "traditional chinese, 繁体中文, 繁體中文, 粤语, 粵語",
        "ja": "japanese, 日语, 日語, 日本語",
        "ko": "korean, 韩语, 韓語, 한국어",
    }.items()
    for word in words.split(",")
}


def valid_target(target: str) -> bool:
    """Whether a mapping may send a column to target."""
    if target in (IGNORE, FULL_NAME, EXTERNAL_ID, *CUSTOMER_TARGETS):
        return True
    kind, _sep, detail = target.partition(":")
    if kind == PREFERENCE:
        return detail in PreferenceCategory.values
    if kind == EXTERNAL_ID:
        from crm.models.stays import SYSTEM_PATTERN

        return bool(re.match(SYSTEM_PATTERN, detail))
    return False


def recognize(headers: list[str], mapping: dict[str, str] | None = None) -> dict[int, str]:
    """Column index → target: the mapping's word for a header first, else the recognized name; columns of
    neither are left out (the preview lists them as unmapped)."""
    mapping = mapping or {}
    targets: dict[int, str] = {}
    for index, header in enumerate(headers):
        target = mapping.get(header) or RECOGNIZED.get(fold(header))
        if target and target != IGNORE:
            targets[index] = target
    return targets


def language_code(text: str) -> str:
    """A language as a file writes it ("中文", "English", "zh-Hant") → the code Rapport keeps."""
    return LANGUAGE_WORDS.get(fold(text), text.strip().lower())


TAG_SEPARATORS = re.compile(r"[,;，；、|]")
PREFERENCE_SEPARATORS = re.compile(r"[;；、|\n]")


def split_tags(text: str) -> list[str]:
    return [tag.strip() for tag in TAG_SEPARATORS.split(text) if tag.strip()]


def split_preferences(text: str) -> list[str]:
    return [item.strip() for item in PREFERENCE_SEPARATORS.split(text) if item.strip()]
