"""Front-desk screens: find a guest, open their card."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from crm import selectors

HOME_RESULTS = 20


def _organization(request: HttpRequest):
    staff = selectors.staff_of(request.user)
    if staff is None:
        raise PermissionDenied
    return staff.organization


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The lookup box; with ?q= the best matches, else the newest guests."""
    organization = _organization(request)
    q = request.GET.get("q", "")
    customers = selectors.customer_list(organization=organization, q=q if q.strip() else None)
    return render(request, "crm/home.html", {"q": q, "customers": customers[:HOME_RESULTS]})


@login_required
def customer_card(request: HttpRequest, pk: int) -> HttpResponse:
    """One guest: who they are, what they like, what went wrong, recent contacts."""
    customer = selectors.customer_get(organization=_organization(request), pk=pk)
    return render(
        request,
        "crm/customer.html",
        {
            "customer": customer,
            "preferences": selectors.preference_list(customer=customer),
            "issues": selectors.issue_list(customer=customer),
            "contacts": selectors.contact_list(customer=customer)[:10],
        },
    )
