"""Send what is due now — or what would be due after a fast-forward — for demos and operators.

python manage.py dispatch_touches --now                 # what is due, sent in this process
python manage.py dispatch_touches --fast-forward 3d     # as if 3 days had passed (also 12h, 90m)
python manage.py dispatch_touches --fast-forward 3d --ignore-quiet-hours --plan
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

from django.core.mail import get_connection
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from personalization.touches.services import dispatch, manual, planning, send

UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def parse_duration(text: str) -> timedelta:
    match = re.fullmatch(r"\s*(\d+)\s*([dhms])\s*", text or "")
    if not match:
        raise CommandError(f"Cannot read the duration {text!r}: use e.g. 3d, 12h, 90m.")
    return timedelta(**{UNITS[match[2]]: int(match[1])})


class Command(BaseCommand):
    help = "Send due touches now in this process (no worker needed); --fast-forward pulls later ones in."

    def add_arguments(self, parser):
        parser.add_argument("--now", action="store_true", help="send what is due now (the default)")
        parser.add_argument("--fast-forward", metavar="DURATION", help="also what falls due within DURATION")
        parser.add_argument("--ignore-quiet-hours", action="store_true", help="send even in the guest's night")
        parser.add_argument("--plan", action="store_true", help="run the nightly planner first (every property)")

    def handle(self, *args, **options):
        now = timezone.now()
        if options["plan"]:
            planned = sum(planning.property_plan(property_=p, now=now, force=True) for p in _properties())
            self.stdout.write(f"Planner offered {planned} greeting and win-back touches.")
        if options["fast_forward"]:
            horizon = now + parse_duration(options["fast_forward"])
            pulled = manual.touches_fast_forward(until=horizon, now=now)
            self.stdout.write(f"Fast-forwarded {pulled} touches to now.")
        outcomes: Counter[str] = Counter()
        connection = get_connection()  # one SMTP session for the whole run
        try:
            while ids := dispatch.touches_claim(now=timezone.now()):
                for start in range(0, len(ids), send.SEND_BATCH):
                    batch = send.touches_send(
                        touch_ids=ids[start : start + send.SEND_BATCH],
                        connection=connection,
                        ignore_quiet_hours=options["ignore_quiet_hours"],
                    )
                    outcomes.update(batch.values())
                if all(outcome == send.Outcome.NOTHING for outcome in outcomes):
                    break
        finally:
            connection.close()
        summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items())) or "nothing due"
        self.stdout.write(self.style.SUCCESS(f"Touches: {summary}."))


def _properties():
    from crm.models import Property

    return Property.objects.order_by("pk")
