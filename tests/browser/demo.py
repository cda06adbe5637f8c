"""The demo as `./rapport run` loads it, for the browser tests that look at whole screens (design, screenshots)."""

from __future__ import annotations

from django.core.management import call_command
from django.db.models import Count

from crm import services
from crm.models import Customer, Stay


def load_demo(settings) -> None:
    settings.DEBUG = True  # the demo refuses to load otherwise
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.DEBUG = False  # the 403 and 404 pages staff see, not Django's debug pages
    settings.RAPPORT_FOLLOW_UP_DELAY_HOURS = 0
    # A call-back on the desk's task list: a guest without an email whose complaint was just resolved.
    guest = Customer.objects.filter(email="", home_property__name__icontains="Shanghai").order_by("pk").first()
    issue = services.issue_open(customer=guest, summary="Shower drain slow", severity="low")
    services.issue_update(issue=issue, status="resolved", resolution="Drain cleared by engineering")


def arrivals_page() -> str:
    """The arrivals board of the day the demo's stays arrive: today at Shanghai when the demo was loaded, so that a
    test running across midnight there (16:00 UTC) still finds them on the board it looks at."""
    day = Stay.objects.filter(external_system="demo-pms").values_list("arrival", flat=True).first()
    return f"/arrivals/?date={day.isoformat()}"


def rich_guest() -> Customer:
    """The demo's flagship guest, 张伟: safety, things to recall, issues open and resolved, a birthday."""
    return (
        Customer.objects.filter(native_name="张伟")
        .annotate(n=Count("preferences", distinct=True) + Count("issues", distinct=True))
        .order_by("-n")
        .first()
    )
