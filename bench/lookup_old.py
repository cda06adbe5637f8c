"""bench/run lookup --mix old: the lookup benchmark as it was before issue 15, kept so that `bench/compare` can
set two commits side by side on the same query mix (exact full names, phone endings and email local parts of
guests of bench/dataset.py), beside its floor (the same SQL, bare) and a naive icontains.

Prints "name value unit" lines. Through the API means over HTTP to gunicorn (1 sync worker, so
requests do not queue behind each other), with keep-alive, from this process.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
from functools import reduce
from operator import or_
from urllib.parse import quote

import bench.boot  # noqa: F401  (Django set up for the imports below)

# isort: split
import opencc
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from bench import dataset
from bench.measure import line, percentile, report, timings_ms
from bench.server import free_port, start_gunicorn, stop
from bench.setup import ensure_dataset
from crm import selectors
from crm.lookup.normalize import latin_words
from crm.lookup.terms import full_name_keys
from crm.models import Customer, SearchTerm

QUERIES = 400
NAIVE_QUERIES = 30  # a sequential scan each: a handful is enough to know its order of magnitude
PAGE = 20
_s2t, _t2s = opencc.OpenCC("s2t"), opencc.OpenCC("t2s")


def typo(word: str, rng: random.Random) -> str:
    i = rng.randint(1, len(word) - 3)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def sample_queries(rng: random.Random, customers: int) -> list[tuple[str, str, int]]:
    """(kind, query text, the customer it should find) drawn from real rows of the dataset."""
    ids = rng.sample(range(1, customers + 1), min(customers, QUERIES * 3))
    rows = Customer.objects.in_bulk(ids)
    queries = []
    for pk in ids:
        c = rows.get(pk)
        if c is None:
            continue
        options = []
        if c.native_name and c.pinyin:
            han = c.native_name.replace(" ", "")
            options += [
                ("han", han),
                ("han_other_script", _s2t.convert(han) if _t2s.convert(han) == han else _t2s.convert(han)),
                ("pinyin_spaced", f"{c.family_name} {c.given_name}".lower()),
                ("pinyin_tones", c.pinyin),
            ]
        elif c.family_name and not c.native_name:
            options += [
                ("latin", f"{c.given_name} {c.family_name}"),
                ("latin_folded", " ".join(latin_words(f"{c.given_name} {c.family_name}"))),
            ]
            if len(c.family_name) >= 6 and c.family_name.isascii() and c.family_name.isalpha():
                options.append(("typo", f"{c.given_name} {typo(c.family_name, rng)}"))
            nickname = dataset.NICKNAMES.get(c.given_name)
            if nickname:
                options.append(("nickname", f"{nickname} {c.family_name}"))
        if c.phone:
            options.append(("phone_last4", c.phone[-4:]))
        if c.email:
            options.append(("email_local", c.email.split("@")[0]))
        if options:
            kind, text = rng.choice(options)
            queries.append((kind, text, pk))
        if len(queries) == QUERIES:
            break
    return queries


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--regenerate", action="store_true", help="rebuild the dataset even if it has that size")
    parser.add_argument("--no-history", action="store_true", help="skip preferences, issues and contacts")
    args = parser.parse_args(argv)

    organization, token = ensure_dataset(
        customers=args.customers, regenerate=args.regenerate, history=not args.no_history
    )
    line("dataset_customers", Customer.objects.count(), "rows")
    line("dataset_search_terms", SearchTerm.objects.count(), "rows")

    rng = random.Random(7)
    queries = sample_queries(rng, args.customers)
    texts = [text for _, text, _ in queries]

    def through_selector(text: str) -> list[Customer]:
        return selectors.customer_lookup(organization=organization, q=text)[:PAGE]

    # Correct at scale? The guest is among the first 20, or the first result is as right an answer:
    # a namesake (a million guests from small name pools have many) or a phone with the same ending.
    correct: dict[str, list[bool]] = {}
    captured: dict[str, list[str]] = {}
    targets = Customer.objects.in_bulk([pk for _, _, pk in queries])
    for kind, text, pk in queries:
        with CaptureQueriesContext(connection) as context:
            result = through_selector(text)
        captured[text] = [q["sql"] for q in context.captured_queries if not q["sql"].startswith("SET ")]
        target = targets[pk]
        first = result[0] if result else None
        right = pk in [c.pk for c in result] or (
            first is not None
            and (
                (kind == "phone_last4" and first.phone.endswith(text))
                or (kind != "email_local" and full_name_keys(first) & full_name_keys(target))
            )
        )
        correct.setdefault(kind, []).append(bool(right))
    for kind, hits in sorted(correct.items()):
        line(f"lookup_correct_{kind}", 100 * sum(hits) / len(hits), "%")
    line("lookup_correct_all", 100 * sum(sum(h) for h in correct.values()) / len(queries), "%")

    service_times = timings_ms(through_selector, texts)
    service = report("lookup_service", service_times)

    def bare_sql(text: str) -> None:
        with connection.cursor() as cursor:
            for sql in captured[text]:
                cursor.execute(sql)
                cursor.fetchall()

    floor_times = timings_ms(bare_sql, texts)
    floor = report("lookup_sql_floor", floor_times)

    port = free_port()
    server = start_gunicorn(port)
    try:
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

        def through_api(text: str) -> None:
            client.request(
                "GET",
                f"/api/v1/customers/?page_size={PAGE}&q={quote(text)}",
                headers={"Authorization": f"Token {token}", "Host": "localhost"},
            )
            response = client.getresponse()
            body = response.read()
            if response.status != 200:
                raise SystemExit(f"API answered {response.status}: {body[:200]!r}")
            json.loads(body)

        api_times = timings_ms(through_api, texts)
        api = report("lookup_api", api_times)
    finally:
        stop(server)

    fields = ("given_name", "family_name", "native_name", "latin_name", "preferred_name", "email", "phone")

    def naive(text: str) -> None:
        match = reduce(or_, (Q(**{f"{field}__icontains": text}) for field in fields))
        list(Customer.objects.filter(organization=organization).filter(match).order_by("-created_at")[:PAGE])

    naive_figures = report("lookup_naive_icontains", timings_ms(naive, texts[:NAIVE_QUERIES], warmup=2))

    line("lookup_python_layers_p95", api["lookup_api_p95"] - floor["lookup_sql_floor_p95"], "ms")
    line("lookup_service_python_p95", service["lookup_service_p95"] - floor["lookup_sql_floor_p95"], "ms")
    # The same, query by query: what the layers added to each lookup over its own SQL, at p95.
    line(
        "lookup_python_layers_paired_p95",
        percentile([a - f for a, f in zip(api_times, floor_times, strict=True)], 95),
        "ms",
    )
    line(
        "lookup_service_python_paired_p95",
        percentile([s - f for s, f in zip(service_times, floor_times, strict=True)], 95),
        "ms",
    )
    line("lookup_speedup_vs_naive_p95", naive_figures["lookup_naive_icontains_p95"] / api["lookup_api_p95"], "x")
    line("lookup_queries_measured", len(texts), "queries")
    line("lookup_api_p95_over_target", max(0.0, api["lookup_api_p95"] - 20), "ms")


if __name__ == "__main__":
    main()
