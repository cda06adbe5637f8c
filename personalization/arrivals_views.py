"""The arrivals board: the front desk's morning view of who arrives today and what to prepare (issue 13)."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from crm import selectors, services
from crm.models import AccessAction, AccessChannel, Staff, Stay
from crm.permissions import screen_properties, screen_property_id, screen_staff
from crm.services.stays import stay_check_in
from crm.stays import selectors as stay_selectors
from crm.views import screen_button
from personalization.arrivals import arrivals_for


def _day(request: HttpRequest, zone) -> date:
    """?date=YYYY-MM-DD, or today at the property (a malformed date is today)."""
    try:
        wanted = parse_date(request.GET.get("date", ""))
    except ValueError:
        wanted = None
    return wanted or timezone.now().astimezone(zone).date()


@login_required
def arrivals(request: HttpRequest) -> HttpResponse:
    """Who arrives at the staff member's property on a day (today by default), those still to check in first,
    each with what to prepare; ?needs=1 keeps the guests who need something. Managers may pick a property."""
    staff = screen_staff(request)
    property_id = screen_property_id(request, staff)
    if property_id is None:
        return render(request, "personalization/arrivals.html", {"board": [], "place": None}, status=200)
    place = selectors.property_get(organization=staff.organization, pk=property_id)
    day = _day(request, place.zone())
    board = arrivals_for(property=place, day=day)
    needs = request.GET.get("needs") == "1"
    shown = [arrival for arrival in board if arrival.needs_something] if needs else board
    services.access_record_many(
        organization_id=staff.organization_id,
        customer_ids=sorted({arrival.customer.pk for arrival in shown}),
        actor=request.user,
        action=AccessAction.ARRIVALS,
        channel=AccessChannel.SCREEN,
        property_id=staff.property_id,
    )
    query = {"property": place.pk} if staff.is_manager else {}
    context = {
        "board": shown,
        "place": place,
        "day": day,
        "today": timezone.now().astimezone(place.zone()).date(),
        "needs": needs,
        "waiting": sum(1 for arrival in board if arrival.stay.checked_in_at is None),
        "total": len(board),
        "needing": sum(1 for arrival in board if arrival.needs_something),
        "query": urlencode(query),
        "previous_day": urlencode({**query, "date": day - timedelta(days=1), **({"needs": 1} if needs else {})}),
        "next_day": urlencode({**query, "date": day + timedelta(days=1), **({"needs": 1} if needs else {})}),
        "properties": screen_properties(staff),
    }
    return render(request, "personalization/arrivals.html", context)


def _board_of(request: HttpRequest, staff: Staff, stay: Stay) -> HttpResponse:
    """Back to the board of the stay's day (and, for a manager, its property)."""
    back = {"date": stay.arrival, **({"property": stay.property_id} if staff.is_manager else {})}
    return redirect(f"{reverse('card:arrivals')}?{urlencode(back)}")


@screen_button(stay_selectors.stay_get, _board_of)
def check_in(request: HttpRequest, staff: Staff, stay: Stay) -> str:
    """Check a guest in from the board: the stay is in house and the arrival logged once."""
    done = stay_check_in(stay=stay, actor=request.user)
    return _("%(name)s is checked in.") % {"name": done.customer.display_name}
