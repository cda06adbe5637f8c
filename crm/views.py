"""Front-desk and manager screens: find a guest, open their card, fold duplicates together."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm import selectors, services
from crm.errors import Conflict
from crm.permissions import screen_manager, screen_staff

HOME_RESULTS = 20


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The lookup box; results as you type (htmx swaps the #results partial), or on Enter without JavaScript."""
    organization = screen_staff(request).organization
    q = request.GET.get("q", "")
    if q.strip():
        customers = selectors.customer_lookup(organization=organization, q=q)[:HOME_RESULTS]
    else:
        customers = selectors.customer_list(organization=organization).select_related("home_property")[:HOME_RESULTS]
    context = {"q": q, "customers": customers}
    template = "crm/home.html#results" if request.htmx else "crm/home.html"
    return render(request, template, context)


@login_required
def duplicates(request: HttpRequest) -> HttpResponse:
    """Managers: profiles that look like one person, and the merges of the last 30 days."""
    organization = screen_manager(request).organization
    return render(
        request,
        "crm/duplicates.html",
        {
            "pairs": selectors.likely_duplicates(organization=organization),
            "merges": selectors.merge_list(organization=organization)[:50],
        },
    )


@login_required
@require_POST
def merge(request: HttpRequest) -> HttpResponse:
    organization = screen_manager(request).organization
    kept = selectors.customer_get(organization=organization, pk=request.POST.get("kept"))
    duplicate = selectors.customer_get(organization=organization, pk=request.POST.get("duplicate"))
    try:
        services.customer_merge(kept=kept, duplicate=duplicate, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(duplicate)s was merged into %(kept)s.") % {"duplicate": duplicate, "kept": kept})
    return redirect("crm:duplicates")


@login_required
@require_POST
def merge_undo(request: HttpRequest, pk: int) -> HttpResponse:
    organization = screen_manager(request).organization
    merge = selectors.merge_get(organization=organization, pk=pk)
    try:
        services.merge_undo(merge=merge, actor=request.user)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The merge was undone: %(duplicate)s is back.") % {"duplicate": merge.duplicate})
    return redirect("crm:duplicates")
