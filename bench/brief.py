"""bench/run brief: the brief through the API, its latency and its throughput under load, beside two
references served by the same gunicorn in the same run (bench/reference.py): a plain DRF nested
ModelSerializer endpoint returning the same rows, and PostgreSQL building the JSON itself (the floor).

Latency: one keep-alive connection from this process, requests one after another. Throughput: wrk,
16 connections for 20 s against gunicorn with 2 sync workers; the load generator shares the cores.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import tempfile

import bench.boot  # noqa: F401  (Django set up for the imports below)

# isort: split
from bench.measure import line, report, timings_ms
from bench.server import free_port, json_getter, start_gunicorn, stop
from bench.setup import ensure_dataset
from crm.models import Customer, Organization
from personalization.gifts.services import gift_rule_create
from personalization.models import GiftRule

CUSTOMERS_SAMPLED = 500
LATENCY_REQUESTS = 500
LOAD_SECONDS = 20
LOAD_CONNECTIONS = 16
WORKERS = 2
ENDPOINTS = {
    "brief": "/api/v1/customers/{}/brief/",
    "drf_nested": "/bench/drf/customers/{}/",
    "pg_json": "/bench/pg-json/customers/{}/",
}
# Gift rules the brief's delight section evaluates for every guest (some fire: first visits, returns,
# resolved issues; the first request for a guest records its suggestions, later ones find them).
RULES = [
    {"name": "Welcome card", "trigger": "first_visit", "gift": "A handwritten welcome card", "cost": "1.00"},
    {"name": "Tenth stay", "trigger": "nth_visit", "visit_number": 10, "gift": "A room upgrade", "cost": "0.00"},
    {
        "name": "Welcome back",
        "trigger": "return_after_absence",
        "absence_days": 180,
        "gift": "A welcome drink",
        "cost": "4.00",
        "monthly_budget": "5000.00",
    },
    {
        "name": "Sorry again",
        "trigger": "issue_resolved",
        "gift": "Breakfast on the house",
        "cost": "12.00",
        "monthly_budget": "20000.00",
    },
    {
        "name": "Birthday dessert",
        "trigger": "birthday",
        "window_days": 7,
        "gift": "A slice of cake",
        "cost": "6.00",
        "monthly_budget": "3000.00",
    },
    {
        "name": "Anniversary flowers",
        "trigger": "anniversary",
        "window_days": 3,
        "gift": "Flowers in the room",
        "cost": "15.00",
    },
    {
        "name": "VIP fruit",
        "trigger": "return_after_absence",
        "absence_days": 30,
        "tags": ["vip"],
        "gift": "A fruit basket",
        "cost": "8.00",
    },
    {
        "name": "Tea lover",
        "trigger": "nth_visit",
        "visit_number": 3,
        "preference_category": "drink",
        "gift": "{favorite_drink} on the house",
        "cost": "3.00",
    },
]
WRK_SCRIPT = """
ids = {%s}
i = 0
request = function()
  i = i + 1
  return wrk.format("GET", string.format("%s", ids[(i %% #ids) + 1]))
end
"""


def with_gift_rules(organization) -> None:
    """The RULES, created once in the bench organization (the brief's delight section evaluates them)."""
    for fields in RULES:
        if not GiftRule.objects.filter(organization=organization, name=fields["name"]).exists():
            gift_rule_create(organization=organization, **fields)


def dataset_with_rules(*, customers: int) -> tuple[Organization, str]:
    """The bench dataset and its front-desk token (bench.setup.ensure_dataset), with the RULES."""
    organization, token = ensure_dataset(customers=customers)
    with_gift_rules(organization)
    return organization, token


def sample_customers(organization, rng: random.Random, customers: int) -> list[int]:
    """Customers of the dataset drawn at random: most have preferences, some open issues."""
    ids = rng.sample(range(1, customers + 1), min(customers, CUSTOMERS_SAMPLED * 2))
    found = Customer.objects.filter(organization=organization, pk__in=ids).values_list("pk", flat=True)
    return sorted(found)[:CUSTOMERS_SAMPLED]


def throughput(port: int, token: str, pattern: str, ids: list[int]) -> float:
    """Requests per second wrk sustained; every answer must be a 200."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % (", ".join(map(str, ids)), pattern.replace("{}", "%d")))
    try:
        out = subprocess.run(
            [
                "wrk",
                "--threads",
                "2",
                "--connections",
                str(LOAD_CONNECTIONS),
                "--duration",
                f"{LOAD_SECONDS}s",
                "--script",
                script.name,
                "--header",
                f"Authorization: Token {token}",
                f"http://127.0.0.1:{port}",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    if "Non-2xx" in out or "Socket errors" in out and "timeout" in out:
        raise SystemExit(f"the load run had errors:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("needs wrk (apt-get install wrk) for the load runs")

    organization, token = dataset_with_rules(customers=args.customers)
    line("brief_gift_rules", GiftRule.objects.filter(organization=organization, active=True).count(), "rules")
    ids = sample_customers(organization, random.Random(11), args.customers)
    line("brief_customers_sampled", len(ids), "customers")

    port = free_port()
    server = start_gunicorn(port, workers=WORKERS, settings="bench.settings")
    try:
        get, close = json_getter(port, token, timeout=30)

        # Same rows in all three: the references list every preference the brief ranks.
        sample = get(ENDPOINTS["brief"].format(ids[0]))
        reference = get(ENDPOINTS["pg_json"].format(ids[0]))
        shown = len(sample["safety"]) + len(sample["recall"])
        if shown != min(len(reference["preferences"]), len(sample["safety"]) + 5):
            raise SystemExit("the brief and the reference disagree on the preferences")

        requests = [ids[i % len(ids)] for i in range(LATENCY_REQUESTS)]
        figures = {}
        for name, pattern in ENDPOINTS.items():
            figures |= report(f"{name}_api", timings_ms(lambda pk, p=pattern: get(p.format(pk)), requests))
        close()

        rates = {name: throughput(port, token, pattern, ids) for name, pattern in ENDPOINTS.items()}
        for name, rate in rates.items():
            line(f"{name}_throughput", rate, "req/s")
    finally:
        stop(server)
    line("brief_throughput_vs_pg_json", rates["brief"] / rates["pg_json"], "x")
    line("brief_throughput_vs_drf_nested", rates["brief"] / rates["drf_nested"], "x")
    line("brief_api_p95_over_target", max(0.0, figures["brief_api_p95"] - 15), "ms")


if __name__ == "__main__":
    main()
