"""bench/run arrivals: the arrivals board of a property with 500 arrivals today among the bench guests, through
the API, beside one guest's brief through the same server in the same run, requests interleaved (one board,
then one brief, ...) so that load drift lands on both.

Target (issue 13): the board's p95 within 5× one brief's p95 — 500 guests' flags for the price of five briefs.
The board is what the desk opens each morning: the live gift rules once, then its stays with their guests and
every arriving guest's preferences, issues and past delights in one statement, and one INSERT of 500 access
records (each guest's safety needs were shown), committed asynchronously.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import timedelta

import bench.boot  # noqa: F401  (Django set up for the imports below)

# isort: split
from django.utils import timezone

from bench.brief import dataset_with_rules, sample_customers
from bench.measure import line, report
from bench.server import free_port, json_getter, start_gunicorn, stop
from crm.models import Customer, Staff, Stay

ARRIVALS = 500
ROUNDS = 100
WORKERS = 2


def arrivals_today(organization, property_, rng: random.Random, customers: int) -> int:
    """ARRIVALS stays arriving today at property_ for guests drawn at random (the bench's own, replaced)."""
    Stay.objects.filter(organization=organization, external_system="bench").delete()
    ids = rng.sample(range(1, customers + 1), min(customers, ARRIVALS * 2))
    guests = list(Customer.objects.filter(organization=organization, pk__in=ids).values_list("pk", flat=True))
    today = timezone.now().astimezone(property_.zone()).date()
    Stay.objects.bulk_create(
        Stay(
            organization=organization,
            property=property_,
            customer_id=pk,
            arrival=today,
            departure=today + timedelta(days=1 + n % 4),
            room=f"{1 + n % 30:02d}{n % 40:02d}",
            external_system="bench",
            external_id=f"B{n}",
        )
        for n, pk in enumerate(guests[:ARRIVALS])
    )
    return min(len(guests), ARRIVALS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args()
    organization, token = dataset_with_rules(customers=args.customers)
    property_ = Staff.objects.get(user__username="bench").property
    line("arrivals_guests", arrivals_today(organization, property_, random.Random(13), args.customers), "guests")
    ids = sample_customers(organization, random.Random(11), args.customers)

    port = free_port()
    server = start_gunicorn(port, workers=WORKERS, settings="bench.settings")
    try:
        get, close = json_getter(port, token)

        board = get("/api/v1/arrivals/")
        if len(board) != ARRIVALS:
            raise SystemExit(f"the board shows {len(board)} arrivals, not {ARRIVALS}")
        line("arrivals_needing_something", sum(1 for row in board if row["needs_something"]), "guests")
        for pk in ids[:20]:  # warm up both
            get(f"/api/v1/customers/{pk}/brief/")
            get("/api/v1/arrivals/")
        boards, briefs = [], []
        for n in range(ROUNDS):
            started = time.perf_counter()
            get("/api/v1/arrivals/")
            boards.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            get(f"/api/v1/customers/{ids[n % len(ids)]}/brief/")
            briefs.append((time.perf_counter() - started) * 1000)
        close()
    finally:
        stop(server)
    board_figures = report("arrivals_api", boards)
    brief_figures = report("brief_api", briefs)
    line("arrivals_vs_brief", board_figures["arrivals_api_p95"] / brief_figures["brief_api_p95"], "x")


if __name__ == "__main__":
    main()
