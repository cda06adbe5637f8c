"""bench/run lookup --misses: every wrong answer of the query set, read one by one (how issue 15's misses were
classified: docs/benchmarks.md, "Every miss read one by one").

    bench/run lookup --customers 100000 --per-kind 200 --misses [--kinds exact,pinyin,given,typo1,typo2]

The same dataset, draw and expected answers as the timed run (bench.lookup, bench.lookup_queries), each query
answered in process by selectors.customer_lookup, nothing timed. For each miss at rank 1: the query, the intended
guest, the expected first and what came first (their names and last visits), and where the intended guest came.
Then per kind: acc1, acc5 and the SQL statements a query — a measure the machine's load does not move."""

from __future__ import annotations

import random
import sys
from collections import defaultdict

from bench.measure import line


def guest(pk: int | None) -> str:
    from crm.models import Customer

    if pk is None:
        return "nobody"
    c = Customer.objects.get(pk=pk)
    seen = f"{c.last_seen:%Y-%m-%d}" if c.last_seen else "never"
    names = " | ".join(filter(None, [c.given_name, c.family_name, c.native_name, c.pinyin, c.preferred_name]))
    return f"#{pk} [{names}] seen {seen}"


def misses(organization, *, customers: int, per_kind: int, prefix_names: int, kinds: list[str]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.lookup_queries import draw, expected, score
    from crm import selectors

    queries = draw(random.Random(15), customers, per_kind=per_kind, prefix_names=prefix_names)
    queries = [q for q in queries if q.kind in kinds]
    expected(queries, organization.pk)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for q in queries:
        with CaptureQueriesContext(connection) as captured:
            answer = [c.pk for c in selectors.customer_lookup(organization=organization, q=q.text)]
        acc1, acc5 = score(q, answer)
        total = totals[q.kind]
        total[0] += 1
        total[1] += acc1
        total[2] += acc5
        total[3] += sum(not s["sql"].startswith("SET ") for s in captured.captured_queries)
        if not acc1:
            where = answer.index(q.intended) + 1 if q.intended in answer else None
            print(f"# miss {q.kind} {q.text!r} ({len(q.expected)} expected; intended at rank {where})", flush=True)
            print(f"#   intended {guest(q.intended or None)}", flush=True)
            print(f"#   expected {guest(q.expected[0] if q.expected else None)}", flush=True)
            print(f"#   first    {guest(answer[0] if answer else None)}", flush=True)
    for kind, (count, acc1, acc5, statements) in totals.items():
        line(f"lookup_{kind}_acc1", 100 * acc1 / count, "%")
        line(f"lookup_{kind}_acc5", 100 * acc5 / count, "%")
        line(f"lookup_{kind}_statements", statements / count, "statements")
    print(f"# {len(queries)} queries", file=sys.stderr, flush=True)
