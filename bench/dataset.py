"""A realistic dataset straight into PostgreSQL with COPY: a Chinese-and-international hotel chain.

Proportions: 55% mainland Chinese (simplified), 12% Hong Kong / Taiwan (traditional), 25% Western
(accents, apostrophes, nicknames), 8% Japanese and Korean. Per customer on average 5 preferences,
1 issue, 5 contacts. Search terms are computed by the application's own code (crm.lookup.terms),
in two processes; secondary indexes are dropped during the load and rebuilt after it.
"""

from __future__ import annotations

import json
import random
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import opencc
from django.db import connection

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪"
    "范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤单解仇"
)
COMPOUND_SURNAMES = ["欧阳", "司马", "上官", "诸葛", "东方"]
GIVEN_CHARS = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国志宏文斌浩宇轩涵欣怡梓萱子豪俊杰"
    "晓东晨阳雪梅婷颖佳琪思远博宁嘉欣雨桐一诺子涵若曦天佑家明美玲"
)
WESTERN_GIVEN = [
    "James",
    "Robert",
    "John",
    "Michael",
    "William",
    "David",
    "Richard",
    "Joseph",
    "Thomas",
    "Charles",
    "Mary",
    "Patricia",
    "Jennifer",
    "Linda",
    "Elizabeth",
    "Barbara",
    "Susan",
    "Jessica",
    "Sarah",
    "Karen",
    "Katherine",
    "Margaret",
    "Catherine",
    "Alexander",
    "Christopher",
    "Daniel",
    "Matthew",
    "Anthony",
    "José",
    "François",
    "Zoë",
    "Siobhán",
    "Jürgen",
    "Søren",
    "Chloé",
    "Renée",
    "Björn",
    "Niamh",
    "Aoife",
    "Théo",
    "Mía",
    "Lúcia",
    "Íñigo",
    "Ana",
    "Anna",
    "Sofia",
    "Léa",
    "Maëlle",
    "Gaël",
    "Ingrid",
    "Sven",
]
NICKNAMES = {
    "Robert": "Bob",
    "William": "Bill",
    "Katherine": "Kathy",
    "Elizabeth": "Liz",
    "Margaret": "Peggy",
    "Michael": "Mike",
    "Richard": "Dick",
    "James": "Jim",
    "Alexander": "Sasha",
    "Jennifer": "Jen",
}
WESTERN_FAMILY = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "O'Connor",
    "O'Brien",
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Nguyễn",
    "Trần",
    "Lê",
    "Álvarez",
    "González",
    "Hernández",
    "López",
    "Pérez",
    "Dubois",
    "Lefèvre",
    "Moreau",
    "Kowalski",
    "Nowak",
    "Andersson",
    "Kjær",
    "Jensen",
    "Rossi",
    "Russo",
    "Ferrari",
    "Murphy",
    "Kelly",
    "Walsh",
    "Whitfield",
    "Turner",
    "Lee",
    "Taylor",
    "Anderson",
    "Thomas",
    "Jackson",
    "White",
    "Harris",
    "Clark",
]
# Japanese and Korean guests by the language they read: given name, family name, name in their own script.
EAST_ASIAN = {
    "ja": [
        ("Hiroshi", "Tanaka", "田中 宏"),
        ("Yuki", "Sato", "佐藤 由紀"),
        ("Kenji", "Suzuki", "鈴木 健二"),
        ("Aiko", "Takahashi", "高橋 愛子"),
        ("Haruto", "Ito", "伊藤 陽翔"),
    ],
    "ko": [
        ("Ji-woo", "Park", "박지우"),
        ("Min-jun", "Kim", "김민준"),
        ("Seo-yeon", "Lee", "이서연"),
        ("Do-yun", "Choi", "최도윤"),
    ],
}
DOMAINS = ["example.com", "example.cn", "example.hk", "example.tw", "example.co.uk", "example.de", "example.fr"]


class GuestPreference(NamedTuple):
    """A preference a generated guest has: crm's Preference category, text and polarity."""

    category: str
    text: str
    polarity: str = "likes"


PREFERENCES = [
    GuestPreference("allergy", "Peanuts", "avoid"),
    GuestPreference("allergy", "Shellfish", "avoid"),
    GuestPreference("dietary", "Vegetarian"),
    GuestPreference("drink", "Oat-milk flat white"),
    GuestPreference("drink", "Jasmine tea"),
    GuestPreference("room", "High floor"),
    GuestPreference("room", "Feather pillows", "dislikes"),
    GuestPreference("seating", "Window table"),
    GuestPreference("food", "Congee"),
    GuestPreference("amenity", "Yoga mat"),
    GuestPreference("communication", "WeChat"),
    GuestPreference("accessibility", "Step-free room"),
]
CONTACT_KINDS = ["arrival", "visit", "visit", "call", "email", "departure"]
ISSUES = ["Noisy air conditioning", "Cold breakfast", "Charged twice", "Slow check-in", "Room not ready"]

_to_traditional = opencc.OpenCC("s2t")
NOW = datetime.now(UTC)


def person(rng: random.Random, i: int) -> dict:
    """One customer's identity, in the chain's proportions."""
    roll = rng.random()
    c = {
        "given_name": "",
        "family_name": "",
        "native_name": "",
        "preferred_name": "",
        "language": "en",
        "name_order": "given_first",
    }
    if roll < 0.67:
        family = rng.choice(COMPOUND_SURNAMES) if rng.random() < 0.01 else rng.choice(SURNAMES)
        given = "".join(rng.choice(GIVEN_CHARS) for _ in range(rng.choice((1, 2, 2))))
        native = family + given
        traditional = roll >= 0.55
        c.update(
            native_name=_to_traditional.convert(native) if traditional else native,
            language="zh-hant" if traditional else "zh-hans",
            name_order="family_first",
        )
        c["_latin"] = True  # given/family in pinyin filled by the worker (it has pypinyin loaded)
    elif roll < 0.92:
        given = rng.choice(WESTERN_GIVEN)
        c.update(given_name=given, family_name=rng.choice(WESTERN_FAMILY))
        if given in NICKNAMES and rng.random() < 0.3:
            c["preferred_name"] = NICKNAMES[given]
    else:
        language = "ja" if rng.random() < 0.6 else "ko"
        given, family, native = rng.choice(EAST_ASIAN[language])
        c.update(given_name=given, family_name=family, native_name=native, language=language)
    if rng.random() < 0.6:
        c["email"] = f"guest{i}.{rng.randint(10, 99)}@{rng.choice(DOMAINS)}"
    if rng.random() < 0.7:
        c["phone"] = (
            f"+86{rng.randint(13000000000, 18999999999)}"
            if c["language"].startswith("zh")
            else (f"+1{rng.randint(2012000000, 9899999999)}")
        )
    return c


def _customer_rows(args: tuple[int, int, int, int]) -> tuple[list[tuple], list[tuple]]:
    """Worker: customers [start, stop) → (customer rows, search term rows), by the app's own code."""
    start, stop, organization_id, seed = args
    import django

    django.setup()
    from crm.lookup.normalize import family_pinyin, han_runs, pinyin_syllables, split_family_name
    from crm.lookup.terms import customer_terms, derive_name_fields
    from crm.models import Customer

    customers, terms = [], []
    for i in range(start, stop):
        rng = random.Random(seed * 1_000_003 + i)
        data = person(rng, i)
        if data.pop("_latin", False):
            family, given = split_family_name(han_runs(data["native_name"])[0])
            data["family_name"] = "".join(family_pinyin(family, tones=False)).title()
            data["given_name"] = "".join(pinyin_syllables(given, tones=False)).title()
        customer = Customer(pk=i + 1, organization_id=organization_id, **data)
        derive_name_fields(customer)
        first = NOW - timedelta(days=rng.randint(1, 1500))
        last = first + timedelta(days=rng.randint(0, (NOW - first).days))
        customers.append(customer_row(customer, first=first, last=last, contacts=rng.randint(1, 12)))
        terms.extend((organization_id, customer.pk, term, kind, last) for term, kind in customer_terms(customer))
    return customers, terms


def customer_row(customer, *, first, last, contacts: int) -> tuple:
    """One generated guest's values for COPY, in CUSTOMER_COLUMNS' order (first visit, last, how many)."""
    return (
        customer.pk,
        customer.organization_id,
        customer.given_name,
        customer.family_name,
        customer.name_order,
        customer.native_name,
        customer.preferred_name,
        customer.language,
        customer.email or "",
        customer.phone or "",
        customer.pinyin,
        customer.search_name,
        customer.addressed_as,
        first,
        last,
        contacts,
        first,
    )


CUSTOMER_COLUMNS = (
    "id, organization_id, given_name, family_name, name_order, native_name, preferred_name, language, email, phone, "
    "pinyin, search_name, addressed_as, first_seen, last_seen, visit_count, created_at"
)
CUSTOMER_DEFAULTS = (
    "latin_name",
    "salutation",
    "pronunciation",
    "pronunciation_ipa",
    "pronunciation_audio",
    "pronunciation_note",
)
BATCH = 20_000


def _secondary_indexes(tables: list[str]) -> list[tuple[str, str]]:
    """The tables' secondary indexes to drop for the load and build again after it. Their definitions are kept in
    the bench database first (bench_dropped_index), so a load interrupted between the drop and the rebuild leaves
    them for the next one to build, instead of a dataset without indexes that nobody notices."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_dropped_index (name text PRIMARY KEY, definition text NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO bench_dropped_index SELECT indexname, indexdef FROM pg_indexes"
            " WHERE tablename = ANY(%s) AND indexname NOT LIKE %s ON CONFLICT DO NOTHING",
            [tables, "%_pkey"],
        )
        cursor.execute("SELECT name, definition FROM bench_dropped_index ORDER BY name")
        return cursor.fetchall()


@contextmanager
def bulk_load(tables: list[str], defaults: list[tuple[str, str]], *, say, started: float):
    """Empty the tables for a COPY load: crm_customer's columns the COPY does not send get these defaults, the
    tables' secondary indexes are dropped (kept in bench_dropped_index, _secondary_indexes); afterwards the defaults
    go, the indexes are built again, the id sequences follow the rows and the tables are analyzed."""
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE")
        for column, default in defaults:
            cursor.execute(f"ALTER TABLE crm_customer ALTER COLUMN {column} SET DEFAULT {default}")
    indexes = _secondary_indexes(tables)
    with connection.cursor() as cursor:
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
    yield
    with connection.cursor() as cursor:
        for column, _default in defaults:
            cursor.execute(f"ALTER TABLE crm_customer ALTER COLUMN {column} DROP DEFAULT")
        say(f"# rebuilding {len(indexes)} indexes ({time.monotonic() - started:.0f} s)")
        for _name, definition in indexes:
            cursor.execute(definition.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
        cursor.execute("DELETE FROM bench_dropped_index")
        for table in tables:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            cursor.execute(f"VACUUM ANALYZE {table}")


# Defaults of crm_customer's columns that the loads' COPY does not send.
LOAD_DEFAULTS = [
    *((column, "''") for column in CUSTOMER_DEFAULTS),
    ("tags", "'[]'"),
    ("consent_service", "true"),
    ("consent_marketing", "false"),
    ("consent_surprises", "true"),
    ("do_not_contact", "false"),
    ("updated_at", "now()"),
]


def generate(*, customers: int, organization_id: int, seed: int = 20261122, history: bool = True, say=print) -> None:
    """Fill the bench database: customers, their search terms, and (history) preferences, issues, contacts."""
    tables = ["crm_customer", "crm_searchterm", "crm_preference", "crm_issue", "crm_contact"]
    started = time.monotonic()
    with bulk_load(tables, LOAD_DEFAULTS, say=say, started=started):
        _customers(customers, organization_id, seed, say, started)
        if history:
            _history(customers, seed, say)
    say(f"# dataset ready: {customers:,} customers in {time.monotonic() - started:.0f} s")


def _customers(customers: int, organization_id: int, seed: int, say, started: float) -> None:
    chunks = [(start, min(start + BATCH, customers), organization_id, seed) for start in range(0, customers, BATCH)]
    raw = connection.connection
    with ProcessPoolExecutor(max_workers=2) as pool:
        for number, (customer_rows, term_rows) in enumerate(pool.map(_customer_rows, chunks), 1):
            with raw.cursor() as cursor:
                with cursor.copy(f"COPY crm_customer ({CUSTOMER_COLUMNS}) FROM STDIN") as copy:
                    for row in customer_rows:
                        copy.write_row(row)
                with cursor.copy(
                    "COPY crm_searchterm (organization_id, customer_id, term, kind, last_seen) FROM STDIN"
                ) as copy:
                    for row in term_rows:
                        copy.write_row(row)
            raw.commit()
            if number % 10 == 0:
                say(f"# {number * BATCH:,} customers loaded ({time.monotonic() - started:.0f} s)")


def _history(customers: int, seed: int, say) -> None:
    rng = random.Random(seed)
    raw = connection.connection
    with raw.cursor() as cursor:
        with cursor.copy(
            "COPY crm_preference (customer_id, category, text, key, value, polarity, source, safety_critical, "
            "last_confirmed_at, times_confirmed, created_at, updated_at) FROM STDIN"
        ) as copy:
            for _ in range(customers * 5):
                category, text, polarity = rng.choice(PREFERENCES)
                when = NOW - timedelta(days=rng.randint(0, 900))
                copy.write_row(
                    (
                        rng.randint(1, customers),
                        category,
                        text,
                        "",
                        "",
                        polarity,
                        "customer",
                        category in ("allergy", "dietary"),
                        when,
                        rng.randint(0, 5),
                        when,
                        when,
                    )
                )
        raw.commit()
        say("# preferences loaded")
        with cursor.copy(
            "COPY crm_issue (customer_id, summary, detail, severity, status, opened_at, resolution, compensation, "
            "recovery_steps, follow_up, guest_summary, created_at, updated_at, resolved_at) FROM STDIN"
        ) as copy:
            for _ in range(customers):
                when = NOW - timedelta(days=rng.randint(0, 900))
                resolved = rng.random() < 0.8
                copy.write_row(
                    (
                        rng.randint(1, customers),
                        rng.choice(ISSUES),
                        "",
                        rng.choice(["low", "medium", "high"]),
                        "resolved" if resolved else "open",
                        when,
                        "Fixed" if resolved else "",
                        "",
                        json.dumps([]),
                        "",
                        "",
                        when,
                        when,
                        when + timedelta(hours=5) if resolved else None,
                    )
                )
        raw.commit()
        say("# issues loaded")
        with cursor.copy(
            "COPY crm_contact (customer_id, kind, occurred_at, note, greeted_by_name, preference_honored, "
            "delight_delivered, created_at, updated_at) FROM STDIN"
        ) as copy:
            for _ in range(customers * 5):
                when = NOW - timedelta(days=rng.randint(0, 1500))
                copy.write_row(
                    (
                        rng.randint(1, customers),
                        rng.choice(CONTACT_KINDS),
                        when,
                        "",
                        rng.random() < 0.7,
                        rng.random() < 0.5,
                        False,
                        when,
                        when,
                    )
                )
        raw.commit()
        say("# contacts loaded")
