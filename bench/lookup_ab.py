"""bench/run lookup-ab OLD [--customers N] [--reps R] [--kinds exact,prefix,…]: the search of two commits side by
side, in process, on the same lookup dataset and the same queries as `bench/run lookup` draws them.

For a change to the search, the quick check before the whole benchmark: does every query answer the same, and is
each kind faster? Two workers, one importing OLD's code (a worktree beside the repository, bench-<sha>, made when
missing, as bench/compare makes them) and one this checkout's, both on this checkout's .venv (a commit that
changes the dependencies is bench/compare's to measure). Each query runs R times on each side (9), the sides
alternating run by run and each starting every other query, so that the machine's load lands on both alike; its
time is the median of its runs (crm.lookup.search.search, the winners' rows included, in process: no HTTP). After
one unmeasured pass of every query on each side (the statements prepared, crm.prepared).

Prints, per kind: each side's p50 and p95 of the queries' medians and new ÷ old of their sums; then every query
whose answer differs (the guests' ids in order: a change in ranking shows as much as one in what is found), and
the queries that moved most each way. The dataset must be there (bench/run lookup --dataset-only --customers N).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REPS = 9


# A worker, run in a side's checkout (its code first on the path, whatever the commit holds of this module): answers
# the search of each JSON line read ({"text": …}) with {"ids": […], "ms": …}.
WORKER = """
import json, sys, time
import django
django.setup()
from bench.setup import bench_organization
from crm.lookup.search import search
organization = bench_organization()[0]
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    text = json.loads(line)["text"]
    started = time.perf_counter()
    found = search(organization=organization, text=text)
    print(json.dumps({"ids": [c.pk for c in found], "ms": (time.perf_counter() - started) * 1000}), flush=True)
"""


class Side:
    def __init__(self, root: Path) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-c", WORKER],
            cwd=root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert json.loads(self.process.stdout.readline())["ready"]

    def ask(self, text: str) -> dict:
        self.process.stdin.write(json.dumps({"text": text}) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def stop(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


def worktree(commit: str) -> Path:
    sha = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", commit], check=True, capture_output=True, text=True
    ).stdout.strip()
    path = REPO.parent / f"bench-{sha}"
    if not path.exists():
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(path), sha], check=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("old", help="the commit to compare this checkout with")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=REPS, help="runs of each query on each side (9)")
    parser.add_argument("--kinds", help="only these kinds of query, comma-separated")
    args = parser.parse_args()
    from bench.lookup import database_url

    os.environ["DATABASE_URL"] = database_url(args.customers)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from bench import lookup_dataset
    from bench.lookup_queries import draw
    from bench.measure import percentile

    if lookup_dataset.stored() != (args.customers, lookup_dataset.VERSION):
        parser.error(f"no lookup dataset of {args.customers} guests: bench/run lookup --dataset-only --customers N")
    queries = draw(random.Random(15), args.customers, per_kind=40, prefix_names=12)  # bench/run lookup's
    if args.kinds:
        queries = [q for q in queries if q.kind in args.kinds.split(",")]
    old, new = Side(worktree(args.old)), Side(REPO)
    try:
        for q in queries:
            old.ask(q.text), new.ask(q.text)
        times: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
        moved, differ = [], []
        for number, q in enumerate(queries):
            runs: dict[Side, list] = {old: [], new: []}
            for rep in range(args.reps):
                for side in (old, new) if (number + rep) % 2 == 0 else (new, old):
                    runs[side].append(side.ask(q.text))
            old_ms, new_ms = (statistics.median(r["ms"] for r in runs[side]) for side in (old, new))
            times[q.kind][0].append(old_ms)
            times[q.kind][1].append(new_ms)
            moved.append((new_ms - old_ms, old_ms, new_ms, q))
            if runs[old][0]["ids"] != runs[new][0]["ids"]:
                differ.append((q, runs[old][0]["ids"], runs[new][0]["ids"]))
    finally:
        old.stop(), new.stop()
    print(f"# {args.old} (old) against this checkout (new), {len(queries)} queries, median of {args.reps} runs each")
    for kind, (before, after) in sorted(times.items()):
        print(
            f"{kind:13s} n={len(before):3d}  old p50 {percentile(before, 50):6.2f} p95 {percentile(before, 95):6.2f}"
            f"  new p50 {percentile(after, 50):6.2f} p95 {percentile(after, 95):6.2f} ms"
            f"  new/old {sum(after) / sum(before):.3f}"
        )
    print(f"answers differing: {len(differ)}")
    for q, before, after in differ:
        print(f"  {q.kind} {q.text!r}: old {before[:5]}, new {after[:5]}")
    moved.sort(key=lambda m: m[0])
    for label, rows in (("faster", moved[:5]), ("slower", moved[::-1][:5])):
        print(f"most {label}: " + ", ".join(f"{q.text!r} {a:.2f} -> {b:.2f}" for _, a, b, q in rows))


if __name__ == "__main__":
    main()
