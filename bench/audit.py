"""bench/run audit: what the access audit costs the brief. The brief as the API serves it, and the same view
without its access record (bench/reference.py, BriefWithoutAudit), on one gunicorn in one run, requests
interleaved (one of each per guest, the order alternating) so that both see the same machine and caches.
The lookup writes no access record (a list of many guests is not a view of one), so it costs nothing there.
Target: the audited brief's p95 within 10% of the unaudited one's."""

from __future__ import annotations

import argparse
import http.client
import json
import random
import time

from bench.brief import dataset_with_rules, sample_customers
from bench.measure import line, report
from bench.server import free_port, start_gunicorn, stop

ROUNDS = 3  # each sampled guest's brief, audited and not, this many times
WARMUP = 50
AUDITED = "/api/v1/customers/{}/brief/"
UNAUDITED = "/bench/brief-unaudited/customers/{}/brief/"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args()
    organization, token = dataset_with_rules(customers=args.customers)
    ids = sample_customers(organization, random.Random(11), args.customers)
    line("audit_customers_sampled", len(ids), "customers")

    port = free_port()
    server = start_gunicorn(port, workers=1, settings="bench.settings")
    try:
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

        def timed(path: str) -> float:
            started = time.perf_counter()
            client.request("GET", path, headers={"Authorization": f"Token {token}", "Host": "localhost"})
            response = client.getresponse()
            body = response.read()
            elapsed = (time.perf_counter() - started) * 1000
            if response.status != 200:
                raise SystemExit(f"{path} answered {response.status}: {body[:200]!r}")
            json.loads(body)
            return elapsed

        for pk in ids[:WARMUP]:  # the first brief of a guest records its gift suggestions: not measured
            timed(AUDITED.format(pk))
            timed(UNAUDITED.format(pk))
        audited, unaudited = [], []
        for round_ in range(ROUNDS):
            for i, pk in enumerate(ids):
                first, second = (AUDITED, UNAUDITED) if (i + round_) % 2 == 0 else (UNAUDITED, AUDITED)
                times = {first: timed(first.format(pk)), second: timed(second.format(pk))}
                audited.append(times[AUDITED])
                unaudited.append(times[UNAUDITED])
        client.close()
    finally:
        stop(server)
    with_audit = report("brief_audited_api", audited)
    without = report("brief_unaudited_api", unaudited)
    cost = with_audit["brief_audited_api_p95"] - without["brief_unaudited_api_p95"]
    line("audit_cost_p95", cost, "ms")
    line("audit_cost_p95_share", 100 * cost / without["brief_unaudited_api_p95"], "%")


if __name__ == "__main__":
    main()
