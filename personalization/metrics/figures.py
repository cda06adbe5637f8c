"""Every figure of the dashboard and of ``GET /api/v1/metrics/``, defined once, from the day counters.

Where and when an event counts (the same for every figure):
- **Its day** is the local calendar day, in the time zone of the property where it happened, of the moment it
  happened: a contact logged at 23:30 in Shanghai on 3 March counts on 3 March even though it is 15:30 UTC; a
  contact logged late for an earlier day counts on that earlier day. What happened at no property takes the
  organization's default property's zone (its first property: ``Property.objects.default_of``).
- **A period** is a calendar day, an ISO week (Monday to Sunday) or a calendar month, clipped to the range asked
  for; its figures add up its days. ``totals`` add up every day of the range.
- **An erased guest** still counts (counters keep numbers, never who); **a merged guest** counts once: the
  merge takes back the guest-days the two profiles shared (``services.days.metrics_guest_days_changed``).
- A rate or an average with nothing to divide by is ``null``, never 0.

Each ``figure_*`` below takes the summed counters of one period (a dict of ``COUNTERS`` plus ``delight_cost``)
and, for the two durations, the period's histogram medians.
"""

from __future__ import annotations

import math
from decimal import Decimal

# Durations are counted in buckets that grow by GAMMA: bucket i holds (GAMMA^(i-1), GAMMA^i] seconds, and is
# read back as 2·GAMMA^i / (GAMMA + 1), within (GAMMA − 1) / (GAMMA + 1) ≈ 2 % of any value in it
# (the DDSketch construction). 0 to 1 second is bucket 0, read as 0.
GAMMA = 1.04
_LOG_GAMMA = math.log(GAMMA)


def bucket_of(seconds: float) -> int:
    """The histogram bucket of a duration in seconds (negative durations, a clock set back, count as 0)."""
    if seconds <= 1:
        return 0
    return math.ceil(math.log(seconds) / _LOG_GAMMA)


def seconds_of(bucket: int | None) -> int | None:
    """A bucket read back as seconds (rounded to the second), within 2 % of every duration it holds."""
    if bucket is None:
        return None
    if bucket <= 0:
        return 0
    return round(2 * GAMMA**bucket / (GAMMA + 1))


# A histogram is also kept summed into coarse buckets of COARSE buckets each (coarse bucket c holds buckets
# c·COARSE to c·COARSE + COARSE − 1, a factor GAMMA^COARSE ≈ 1.87 wide), so a range made of several spans finds the
# coarse bucket of each quantile from ~20 numbers a span and reads only that coarse bucket's own buckets.
COARSE = 16
# Each quantile's rank as a fraction (numerator, denominator) of the durations: the median is the ⌈n/2⌉-th smallest
# duration, the 90th percentile ("p90") the ⌈0.9·n⌉-th. rank_reached compares with it; so does the SQL that finds
# a range's coarse buckets (personalization.metrics.selectors), given these same numbers.
RANKS = {"median": (1, 2), "p90": (9, 10)}
QUANTILES = tuple(RANKS)


def coarse_of(bucket: int) -> int:
    """The coarse bucket that holds a bucket."""
    return bucket // COARSE


def rank_reached(below: int, total: int, quantile: str) -> bool:
    """Whether `below` of `total` durations reach a quantile's rank (RANKS): at least ⌈n/2⌉ for the median, ⌈0.9·n⌉
    for the 90th percentile."""
    numerator, denominator = RANKS[quantile]
    return below * denominator >= total * numerator


def crossing(histogram: list[tuple[int, int]], total: int, quantile: str, below: int = 0) -> tuple[int | None, int]:
    """(the first bucket at which the quantile's rank is reached, how many durations lie in earlier buckets) of a
    histogram's (bucket, n) in bucket order, `below` durations lying before them all; (None, …) if it is not."""
    for bucket, n in histogram:
        if rank_reached(below + n, total, quantile):
            return bucket, below
        below += n
    return None, below


def quantile_buckets(histogram: dict) -> dict[str, int | None] | None:
    """{"median", "p90"} buckets (rank_reached) of one histogram ({bucket: n}, the bucket as an int or as JSON keeps
    it: text); None when it holds nothing."""
    buckets = sorted((int(bucket), n) for bucket, n in histogram.items() if n)
    total = sum(n for _bucket, n in buckets)
    if not total:
        return None
    return {quantile: crossing(buckets, total, quantile)[0] for quantile in QUANTILES}


def coarse_counts(histogram: dict) -> dict[str, int]:
    """A histogram summed into its coarse buckets (coarse_of), keys as text like the histogram's."""
    coarse: dict[str, int] = {}
    for bucket, n in histogram.items():
        key = str(coarse_of(int(bucket)))
        coarse[key] = coarse.get(key, 0) + n
    return coarse


def grouped(histogram: dict) -> dict[str, dict[str, int]]:
    """A histogram ({bucket: n}) as MetricDuration.counts keeps it: its buckets grouped by coarse bucket
    ({"coarse bucket": {"bucket": n}}, keys as text), so a reader takes one coarse bucket's buckets alone."""
    stored: dict[str, dict[str, int]] = {}
    for bucket, n in histogram.items():
        stored.setdefault(str(coarse_of(int(bucket))), {})[str(bucket)] = n
    return stored


def flattened(stored: dict) -> dict[str, int]:
    """A histogram as kept (grouped) back to {"bucket": n}."""
    return {bucket: n for buckets in stored.values() for bucket, n in buckets.items()}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def greeted_by_name_rate(c: dict) -> float | None:
    """Contacts where staff ticked "greeted by name" ÷ contacts (every kind: arrival, visit, call, email, chat,
    departure), of contacts on the period's days."""
    return _rate(c["greeted_by_name"], c["contacts"])


def preference_honored_rate(c: dict) -> float | None:
    """Contacts where staff ticked "preference honoured" ÷ contacts."""
    return _rate(c["preference_honored"], c["contacts"])


def delight_delivered_rate(c: dict) -> float | None:
    """Contacts where staff ticked "delight delivered" ÷ contacts."""
    return _rate(c["delight_delivered"], c["contacts"])


def returning_guest_rate(c: dict) -> float | None:
    """Returning guest-days ÷ guest-days. A guest-day is a guest with at least one contact on that day at that
    property (for the whole organization: anywhere); it is returning when the guest's first contact ever, anywhere
    in the organization, was on an earlier day. A guest who came on three days of a week is three guest-days."""
    return _rate(c["returning_guest_days"], c["guest_days"])


def csat_average(c: dict) -> float | None:
    """The mean of the survey answers (1–5) received on the period's days, to two decimals."""
    return round(c["csat_score_sum"] / c["csat_responses"], 2) if c["csat_responses"] else None


def survey_response_rate(c: dict) -> float | None:
    """Survey answers received ÷ surveys sent, both on the period's days (an answer may come a day after its
    survey, so a day's rate can pass 1; a week's or a month's rarely does)."""
    return _rate(c["csat_responses"], c["surveys_sent"])


def nps(c: dict) -> int | None:
    """Net Promoter Score of the "would you recommend us?" answers (0–10) received: % of 9–10 minus % of 0–6,
    rounded to a whole number, from −100 to 100."""
    if not c["nps_responses"]:
        return None
    return round(100 * (c["nps_promoters"] - c["nps_detractors"]) / c["nps_responses"])


_CSAT_SCORES = tuple((str(score), f"csat_{score}") for score in range(1, 6))  # (score, its counter), made once


def csat_distribution(c: dict) -> dict[str, int]:
    """How many answers gave each score, 1 to 5."""
    return {score: c[counter] for score, counter in _CSAT_SCORES}


def touches_skipped_by_reason(c: dict) -> dict[str, int]:
    """Touches the sender skipped, by why: no consent (or do not contact, or no address), the pressure cap, an
    open complaint, anything else (a gift delivered meanwhile, a stay cancelled, a merged profile)."""
    named = c["touches_skipped_consent"] + c["touches_skipped_pressure_cap"] + c["touches_skipped_open_complaint"]
    return {
        "consent": c["touches_skipped_consent"],
        "pressure_cap": c["touches_skipped_pressure_cap"],
        "open_complaint": c["touches_skipped_open_complaint"],
        "other": c["touches_skipped"] - named,
    }


def delight_cost(c: dict) -> str:
    """What the delights delivered on the period's days cost, in the rules' currency, as a decimal string."""
    return f"{Decimal(c['delight_cost']):.2f}"


def figures(c: dict, durations: dict[str, dict[str, int | None]]) -> dict:
    """The figures of one period under the API's stable names (and the dashboard's extras), from its counters
    and its durations ({"first_response": {"median": s, "p90": s}, "resolution": {...}}: the ⌈n/2⌉-th and
    ⌈0.9·n⌉-th smallest, in seconds, within 2 %; each duration counts on the day of the response or the
    resolution, so a period's resolution time is that of the issues resolved in it)."""
    first, resolution = durations.get("first_response", {}), durations.get("resolution", {})
    return {
        "contacts": c["contacts"],
        "greeted_by_name_rate": greeted_by_name_rate(c),
        "preference_honored_rate": preference_honored_rate(c),
        "delight_delivered_rate": delight_delivered_rate(c),
        "issues_opened": c["issues_opened"],
        "issues_opened_by_severity": {
            "low": c["issues_opened_low"],
            "medium": c["issues_opened_medium"],
            "high": c["issues_opened_high"],
        },
        "issues_first_responses": c["issues_first_responses"],
        "issues_resolved": c["issues_resolved"],
        "issues_reopened": c["issues_reopened"],
        "first_response_median_seconds": first.get("median"),
        "first_response_p90_seconds": first.get("p90"),
        "resolution_median_seconds": resolution.get("median"),
        "resolution_p90_seconds": resolution.get("p90"),
        "csat_average": csat_average(c),
        "csat_responses": c["csat_responses"],
        "csat_distribution": csat_distribution(c),
        "surveys_sent": c["surveys_sent"],
        "survey_response_rate": survey_response_rate(c),
        "nps": nps(c),
        "nps_responses": c["nps_responses"],
        "guest_days": c["guest_days"],
        "returning_guest_rate": returning_guest_rate(c),
        "touches_sent": c["touches_sent"],
        "touches_skipped": c["touches_skipped"],
        "touches_skipped_by_reason": touches_skipped_by_reason(c),
        "touches_postponed_quiet_hours": c["touches_postponed_quiet_hours"],
        "touches_failed": c["touches_failed"],
        "touches_cancelled": c["touches_cancelled"],
        "tasks_done": c["tasks_done"],
        "delights_suggested": c["delights_suggested"],
        "delights_delivered": c["delights_delivered"],
        "delights_declined": c["delights_declined"],
        "delight_cost": delight_cost(c),
    }
