"""The dataset of `bench/run lookup`: guests with real name frequencies, loaded with COPY.

A Chinese and international chain's guest list, drawn from the frequency lists in bench/names/ (sources and
licences in bench/names/README.md):

- 50 % mainland China: the Han name in simplified characters; 70 % of them also carry the pinyin in
  given/family name (as a booking engine fills it), 30 % the Han name only;
- 10 % Hong Kong and Taiwan: traditional characters; 40 % of them with an English given name and the Cantonese
  spelling of the family name (David Chan, 陳大文);
- 8 % pinyin-only records (an online travel agency's booking: "Wei Zhang", no characters);
- 24 % Western names (US Census surnames, SSA given names, a fifth European with accents and apostrophes),
  a tenth of those going by a nickname;
- 4 % Japanese (kanji, family first, and romaji), 4 % Korean (hangul and romanization).

Surnames follow their published shares (王 李 张 about 7 % each of the Chinese guests, Smith 0.8 % of the
Americans); given-name characters fall off like a Zipf law. 10 % of guests belong to a household: they share
its surname and its email or phone. 3 % are likely duplicates of another guest: the same person typed again
(the other script or the pinyin only, the same phone or email). Histories have a heavy tail: the number of
contacts is Pareto-distributed (most guests 1–3, the best hundreds); last_seen is the latest contact.

Search terms come from the product's own code (crm.lookup.terms.customer_terms), so the index is what
production writes. Rows are made in two processes and loaded with COPY; the secondary indexes are dropped for
the load and built after it (bench.dataset keeps their definitions safe meanwhile). The dataset of the other
benchmarks (brief, audit, arrivals, planner) stays bench/dataset.py: its uniform names keep those benchmarks
comparable with their earlier runs, and it is what `bench/run lookup --mix old` measures.
"""

from __future__ import annotations

import csv
import random
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from django.db import connection, transaction

from bench.dataset import CUSTOMER_COLUMNS, LOAD_DEFAULTS, NICKNAMES, GuestPreference, bulk_load, customer_row

NAMES = Path(__file__).resolve().parent / "names"
# Change when the generator or the terms change: a stored dataset of another version is regenerated.
VERSION = "lookup-2"
SEED = 20261202
BATCH = 20_000
HOUSEHOLD = 0.10
DUPLICATE = 0.03
MAX_CONTACTS = 800
CANTONESE = {
    "陈": "Chan",
    "黄": "Wong",
    "李": "Lee",
    "张": "Cheung",
    "刘": "Lau",
    "林": "Lam",
    "吴": "Ng",
    "王": "Wong",
    "何": "Ho",
    "梁": "Leung",
    "郑": "Cheng",
    "周": "Chow",
    "谢": "Tse",
    "杨": "Yeung",
    "许": "Hui",
    "郭": "Kwok",
    "罗": "Law",
    "马": "Ma",
    "朱": "Chu",
    "胡": "Wu",
    "邓": "Tang",
    "曾": "Tsang",
    "冯": "Fung",
    "蔡": "Choi",
}
# Where a guest's name comes from, as a cumulative share: half mainland Chinese, a tenth Hong Kong / Taiwan,
# 8 % Chinese written only in pinyin, a quarter Western, 4 % Japanese, 4 % Korean.
ORIGINS = [(0.50, "mainland"), (0.60, "hktw"), (0.68, "pinyin"), (0.92, "west"), (0.96, "ja"), (1.0, "ko")]
DOMAINS_CN = ["qq.com", "163.com", "126.com", "sina.com", "gmail.com", "outlook.com"]
DOMAINS_WEST = ["gmail.com", "yahoo.com", "outlook.com", "icloud.com", "hotmail.com", "aol.com"]
CONTACT_KINDS = ["arrival", "visit", "visit", "call", "email", "departure"]
PREFERENCES = [
    GuestPreference("allergy", "Peanuts", "avoid"),
    GuestPreference("dietary", "Vegetarian"),
    GuestPreference("drink", "Jasmine tea"),
    GuestPreference("room", "High floor"),
    GuestPreference("room", "Feather pillows", "dislikes"),
    GuestPreference("seating", "Window table"),
    GuestPreference("communication", "WeChat"),
]
ISSUES = ["Noisy air conditioning", "Cold breakfast", "Charged twice", "Slow check-in", "Room not ready"]
NOW = datetime(2026, 12, 1, tzinfo=UTC)  # fixed: the same seed gives the same dataset on any day


class Weighted:
    """Draw from a frequency list: cumulative weights, one bisect per draw."""

    def __init__(self, items: list, weights: list[float]) -> None:
        self.items = items
        total, self.cumulative = 0.0, []
        for weight in weights:
            total += weight
            self.cumulative.append(total)

    def __call__(self, rng: random.Random):
        return rng.choices(self.items, cum_weights=self.cumulative)[0]


def _read(name: str) -> list[dict[str, str]]:
    with open(NAMES / name, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@cache
def lists() -> dict[str, Weighted]:
    chinese = _read("chinese_surnames.csv")
    given = _read("chinese_given_chars.csv")
    japanese, korean = _read("japanese.csv"), _read("korean.csv")
    return {
        "zh_family": Weighted([r["surname"] for r in chinese], [float(r["percent"]) for r in chinese]),
        "zh_given": Weighted([r["character"] for r in given], [float(r["weight"]) for r in given]),
        "us_family": Weighted(*_column(_read("us_surnames.csv"), "surname", "per_100k")),
        "us_given": Weighted(*_column(_read("us_given_names.csv"), "name", "count_thousands")),
        "eu_family": Weighted(*_column(_read("european_surnames.csv"), "surname", "per_100k")),
        "eu_given": Weighted(*_column(_read("european_given_names.csv"), "name", "count_thousands")),
        "ja_family": _part(japanese, "family", ("kanji", "romaji")),
        "ja_given": _part(japanese, "given", ("kanji", "romaji")),
        "ko_family": _part(korean, "family", ("hangul", "romanized")),
        "ko_given": _part(korean, "given", ("hangul", "romanized")),
    }


def _column(rows: list[dict[str, str]], name: str, weight: str) -> tuple[list[str], list[float]]:
    return [r[name] for r in rows], [float(r[weight]) for r in rows]


def _part(rows: list[dict[str, str]], part: str, columns: tuple[str, str]) -> Weighted:
    chosen = [r for r in rows if r["part"] == part]
    return Weighted([(r[columns[0]], r[columns[1]]) for r in chosen], [float(r["weight"]) for r in chosen])


def _role(seed: int, i: int) -> float:
    """A guest's own draw for household/duplicate membership, apart from its identity's draws."""
    return random.Random(seed * 7_919 + i).random()


def _anchor(seed: int, i: int) -> int:
    """The guest a household member or a duplicate copies: the nearest earlier guest that copies nobody."""
    rng = random.Random(seed * 104_729 + i)
    j = max(0, i - rng.randint(1, 40))
    while j > 0 and _role(seed, j) < HOUSEHOLD + DUPLICATE:
        j -= 1
    return j


def identity(rng: random.Random, i: int) -> dict:
    """One guest's own names, language, email and phone (before households and duplicates)."""
    names = lists()
    roll = rng.random()
    c = {"given_name": "", "family_name": "", "native_name": "", "preferred_name": "", "_han": ""}
    c["_origin"] = origin = next(name for below, name in ORIGINS if roll < below)
    if origin in ("mainland", "hktw", "pinyin"):
        family = names["zh_family"](rng)
        given = "".join(names["zh_given"](rng) for _ in range(1 if rng.random() < 0.3 else 2))
        c["_han"] = family + given
        c["language"] = "zh-hant" if origin == "hktw" else "zh-hans"
        c["name_order"] = "family_first"
        if origin == "mainland":
            c["native_name"] = family + given
            c["_pinyin_fields"] = rng.random() < 0.7
        elif origin == "hktw":
            c["native_name"] = _traditional().convert(family + given)
            if family in CANTONESE and rng.random() < 0.4:
                c.update(given_name=names["us_given"](rng), family_name=CANTONESE[family], name_order="given_first")
        else:
            c["_pinyin_fields"] = True
    elif origin == "west":
        european = rng.random() < 0.2
        given = names["eu_given" if european else "us_given"](rng)
        c.update(given_name=given, family_name=names["eu_family" if european else "us_family"](rng))
        c.update(language="en", name_order="given_first")
        if given in NICKNAMES and rng.random() < 0.1:
            c["preferred_name"] = NICKNAMES[given]
    else:
        (family, family_latin), (given, given_latin) = names[f"{origin}_family"](rng), names[f"{origin}_given"](rng)
        native = f"{family} {given}" if origin == "ja" else family + given
        c.update(given_name=given_latin, family_name=family_latin, native_name=native, language=origin)
        c["name_order"] = "family_first"
    if rng.random() < 0.6:
        c["email"] = _email(rng, c, i)
    if rng.random() < 0.7:
        c["phone"] = _phone(rng, origin)
    return c


def _email(rng: random.Random, c: dict, i: int) -> str:
    from crm.lookup.normalize import latin_words, pinyin_syllables, split_family_name

    if c["_han"]:  # Chinese guests write their address in pinyin: zhang.wei, weizhang
        words = ["".join(pinyin_syllables(part, tones=False)) for part in split_family_name(c["_han"])[::-1]]
    else:
        words = latin_words(f"{c['given_name']} {c['family_name']}") or [f"guest{i}"]
    local = rng.choice([".".join(words), "".join(words), words[0] + str(rng.randint(1, 9999))])
    domains = DOMAINS_CN if c["_origin"] in ("mainland", "hktw", "pinyin") else DOMAINS_WEST
    # Unique enough: the same name at the same provider gets a number, as providers make people do.
    return f"{local}{i % 997 if rng.random() < 0.8 else ''}@{rng.choice(domains)}"


def _phone(rng: random.Random, origin: str) -> str:
    if origin in ("mainland", "pinyin"):
        return f"+861{rng.choice('3456789')}{rng.randint(0, 10**9 - 1):09d}"
    if origin == "hktw":
        return (
            f"+852{rng.choice('5679')}{rng.randint(0, 10**7 - 1):07d}"
            if rng.random() < 0.6
            else (f"+8869{rng.randint(0, 10**8 - 1):08d}")
        )
    if origin == "ja":
        return f"+81{rng.choice(['70', '80', '90'])}{rng.randint(0, 10**8 - 1):08d}"
    if origin == "ko":
        return f"+8210{rng.randint(0, 10**8 - 1):08d}"
    return f"+1{rng.randint(201, 989)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"


@cache
def _traditional():
    import opencc

    return opencc.OpenCC("s2t")


def guest(seed: int, i: int) -> dict:
    """Guest i as stored: its identity, or a household member's or a duplicate's taken from its anchor."""
    rng = random.Random(seed * 1_000_003 + i)
    role = _role(seed, i)
    own = identity(rng, i)
    if role >= HOUSEHOLD + DUPLICATE or i == 0:
        return own
    anchor = identity(random.Random(seed * 1_000_003 + _anchor(seed, i)), _anchor(seed, i))
    own["_anchor"] = _anchor(seed, i)
    if role < HOUSEHOLD:  # a household: the anchor's surname, its email or its phone
        if anchor["_origin"] == own["_origin"] and own["_han"] and anchor["_han"]:
            from crm.lookup.normalize import split_family_name

            own["_han"] = split_family_name(anchor["_han"])[0] + split_family_name(own["_han"])[1]
            if own["native_name"]:
                own["native_name"] = (
                    own["_han"] if own["_origin"] == "mainland" else _traditional().convert(own["_han"])
                )
        elif anchor["_origin"] == own["_origin"] and own["_origin"] in ("west", "ja", "ko"):
            own["family_name"] = anchor["family_name"]
            if own["_origin"] == "ja":
                own["native_name"] = anchor["native_name"].split(" ")[0] + " " + own["native_name"].split(" ")[1]
            elif own["_origin"] == "ko":
                own["native_name"] = anchor["native_name"][0] + own["native_name"][1:]
        if anchor.get("email") and rng.random() < 0.6:
            own["email"] = anchor["email"]
        if anchor.get("phone") and rng.random() < 0.5:
            own["phone"] = anchor["phone"]
        own["_role"] = "household"
        return own
    # A likely duplicate: the anchor typed again, sometimes in the other script or in pinyin only.
    dup = dict(anchor)
    dup["_role"] = "duplicate"
    dup["_anchor"] = own["_anchor"]
    if dup["_origin"] == "mainland" and rng.random() < 0.5:
        dup.update(_origin="pinyin", native_name="", _pinyin_fields=True)
    elif dup["_origin"] == "hktw" and rng.random() < 0.5:
        dup["native_name"] = anchor["_han"]
    if dup.get("email") and dup.get("phone"):
        dup.pop("email" if rng.random() < 0.5 else "phone")
    return dup


def history(rng: random.Random) -> tuple[datetime, list[datetime]]:
    """(first seen, the contacts' times): Pareto-many contacts, most guests 1–3, the best hundreds."""
    count = min(MAX_CONTACTS, int(rng.paretovariate(1.3)))
    first = NOW - timedelta(days=rng.randint(1, 1500), seconds=rng.randint(0, 86_399))
    span = (NOW - first).total_seconds()
    times = sorted(first + timedelta(seconds=rng.random() * span) for _ in range(count - 1))
    return first, [first, *times]


def _rows(args: tuple[int, int, int, int]) -> dict[str, list[tuple]]:
    """Worker: guests [start, stop) → rows of each table, search terms by the product's own code."""
    start, stop, organization_id, seed = args
    import django

    django.setup()
    from crm.lookup.normalize import family_pinyin, pinyin_syllables, split_family_name
    from crm.lookup.terms import customer_terms, derive_name_fields, names_of
    from crm.models import Customer

    out: dict[str, list[tuple]] = {"customer": [], "term": [], "contact": [], "preference": [], "issue": []}
    words = Counter()  # the vocabulary's counts (crm.lookup.vocabulary), written once every chunk is loaded
    for i in range(start, stop):
        data = guest(seed, i)
        if data.get("_pinyin_fields"):
            family, given = split_family_name(data["_han"])
            data["family_name"] = "".join(family_pinyin(family, tones=False)).title()
            data["given_name"] = "".join(pinyin_syllables(given, tones=False)).title()
            if data["_origin"] == "pinyin":
                data["name_order"] = "given_first"
        fields = {k: v for k, v in data.items() if not k.startswith("_")}
        customer = Customer(pk=i + 1, organization_id=organization_id, **fields)
        derive_name_fields(customer)
        rng = random.Random(seed * 3_000_017 + i)
        first, contacts = history(rng)
        out["customer"].append(customer_row(customer, first=first, last=contacts[-1], contacts=len(contacts)))
        out["term"].extend(
            (organization_id, customer.pk, term, kind, contacts[-1]) for term, kind in customer_terms(customer)
        )
        words.update(names_of(customer).words)
        for when in contacts:
            out["contact"].append(
                (customer.pk, rng.choice(CONTACT_KINDS), when, "", rng.random() < 0.7, False, False, when, when)
            )
        for _ in range(min(len(contacts), int(rng.paretovariate(1.6)) - 1)):
            category, text, polarity = rng.choice(PREFERENCES)
            when = contacts[rng.randrange(len(contacts))]
            safety = category in ("allergy", "dietary")
            out["preference"].append(
                (customer.pk, category, text, "", "", polarity, "customer", safety, when, 0, when, when)
            )
        if rng.random() < 0.1:
            when = contacts[-1]
            out["issue"].append(
                (
                    customer.pk,
                    rng.choice(ISSUES),
                    "",
                    "low",
                    "resolved",
                    when,
                    "Fixed",
                    "",
                    "[]",
                    "",
                    "",
                    when,
                    when,
                    when + timedelta(hours=5),
                )
            )
    out["words"] = words
    return out


COPY = {
    "customer": f"COPY crm_customer ({CUSTOMER_COLUMNS}) FROM STDIN",
    # Each term carries its guest's last visit (crm.lookup.terms: the index hands out the most recent first).
    "term": "COPY crm_searchterm (organization_id, customer_id, term, kind, last_seen) FROM STDIN",
    "contact": "COPY crm_contact (customer_id, kind, occurred_at, note, greeted_by_name, preference_honored, "
    "delight_delivered, created_at, updated_at) FROM STDIN",
    "preference": "COPY crm_preference (customer_id, category, text, key, value, polarity, source, safety_critical, "
    "last_confirmed_at, times_confirmed, created_at, updated_at) FROM STDIN",
    "issue": "COPY crm_issue (customer_id, summary, detail, severity, status, opened_at, resolution, compensation, "
    "recovery_steps, follow_up, guest_summary, created_at, updated_at, resolved_at) FROM STDIN",
}
TABLES = ["crm_customer", "crm_searchterm", "crm_preference", "crm_issue", "crm_contact"]
MARKER = "CREATE TABLE IF NOT EXISTS bench_lookup_dataset (customers int NOT NULL, version text NOT NULL)"


def stored() -> tuple[int, str] | None:
    """(guests, version) of the dataset in the database, None when there is none."""
    with connection.cursor() as cursor:
        cursor.execute(MARKER)
        cursor.execute("SELECT customers, version FROM bench_lookup_dataset")
        row = cursor.fetchone()
    return (row[0], row[1]) if row else None


def generate(*, customers: int, organization_id: int, seed: int = SEED, say=print) -> float:
    """Fill the database with `customers` guests and their histories; answers the seconds it took."""
    from crm.lookup.vocabulary import vocabulary_rebuild

    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(MARKER)
        cursor.execute("DELETE FROM bench_lookup_dataset")
    counts = dict.fromkeys(COPY, 0)
    words = Counter()
    with bulk_load(TABLES, LOAD_DEFAULTS, say=say, started=started):
        chunks = [(start, min(start + BATCH, customers), organization_id, seed) for start in range(0, customers, BATCH)]
        raw = connection.connection
        with ProcessPoolExecutor(max_workers=2) as pool:
            for number, rows in enumerate(pool.map(_rows, chunks), 1):
                with raw.cursor() as cursor:
                    for table, sql in COPY.items():
                        with cursor.copy(sql) as copy:
                            for row in rows[table]:
                                copy.write_row(row)
                        counts[table] += len(rows[table])
                words.update(rows["words"])
                raw.commit()
                if number % 10 == 0:
                    say(f"# {number * BATCH:,} guests loaded ({time.monotonic() - started:.0f} s)")
    with transaction.atomic():  # the function the import's COPY path calls too (crm.lookup.terms.index_customers)
        vocabulary_rebuild(organization_id, words)
    with connection.cursor() as cursor:
        # The vocabulary written anew leaves the one before as dead rows: rewritten compact, so that a dataset made
        # again measures what a first one does (100,000 guests, 2026-12-07: the vocabulary made again read 587
        # bytes a guest, made once 338, rewritten 303). Then as autovacuum would soon after (bulk_load vacuumed the
        # others): the typo stage reads the vocabulary from its index alone once the pages are marked all-visible
        # (without, ~300 heap fetches a corrected word).
        cursor.execute("VACUUM FULL crm_nameword")
        cursor.execute("VACUUM ANALYZE crm_nameword")
        cursor.execute("INSERT INTO bench_lookup_dataset VALUES (%s, %s)", [customers, VERSION])
    seconds = time.monotonic() - started
    say(
        f"# dataset ready: {customers:,} guests, "
        + ", ".join(f"{n:,} {t}s" for t, n in counts.items())
        + f" in {seconds:.0f} s"
    )
    return seconds
