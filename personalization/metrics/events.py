"""What each event adds to its day's counters: one definition, used as events happen (services, receivers) and
when the counters are rebuilt from the raw rows (rebuild)."""

from __future__ import annotations

# touches.services.send.why_not's reasons, by what the dashboard calls them (the rest are "other").
SKIP_COUNTERS = (
    ("do not contact", "touches_skipped_consent"),
    ("no consent", "touches_skipped_consent"),
    ("no email address", "touches_skipped_consent"),
    ("pressure cap", "touches_skipped_pressure_cap"),
    ("open complaint", "touches_skipped_open_complaint"),
)
FINISHED_COUNTERS = {
    "sent": "touches_sent",
    "skipped": "touches_skipped",
    "failed": "touches_failed",
    "cancelled": "touches_cancelled",
    "done": "tasks_done",
    "postponed": "touches_postponed_quiet_hours",  # to the end of quiet hours: not a status, a move
}


def contact_counters(*, greeted_by_name: bool, preference_honored: bool, delight_delivered: bool) -> dict[str, int]:
    """A contact logged, with what staff did with the brief. (Its guest-day: services.days.guest_days.)"""
    return {
        "contacts": 1,
        "greeted_by_name": int(greeted_by_name),
        "preference_honored": int(preference_honored),
        "delight_delivered": int(delight_delivered),
    }


def issue_opened_counters(*, severity: str) -> dict[str, int]:
    return {"issues_opened": 1, f"issues_opened_{severity}": 1}


def feedback_counters(*, score: int, recommend: int | None) -> dict[str, int]:
    """A survey answer: its 1–5 score, and its 0–10 would-recommend answer when the guest gave one."""
    answered = recommend is not None
    return {
        "csat_responses": 1,
        "csat_score_sum": score,
        f"csat_{score}": 1,
        "nps_responses": int(answered),
        "nps_promoters": int(answered and recommend >= 9),
        "nps_detractors": int(answered and recommend <= 6),
    }


def touch_counters(*, status: str, kind: str, reason: str = "") -> dict[str, int]:
    """A touch leaving the outbox as `status` (sent, skipped and why, failed, cancelled; a desk's task done; or
    postponed to the end of quiet hours); a survey sent also counts as a survey sent."""
    counters = {FINISHED_COUNTERS[status]: 1}
    if status == "skipped":
        for start, counter in SKIP_COUNTERS:
            if reason.startswith(start):
                counters[counter] = 1
                break
    if status == "sent" and kind == "csat_survey":
        counters["surveys_sent"] = 1
    return counters
