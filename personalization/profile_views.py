"""The guest card's profile and story (issue 12): edit every field of the profile, the guest's own recording of
their name (recorded in the browser, played back on the card), and the timeline's further pages.

The card itself (personalization.views.card) adds card_context() to what it shows."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm import selectors, services
from crm.forms import (
    SUBMITTED_KEY,
    CustomerProfileForm,
    PronunciationAudioForm,
    first_submission,
)
from crm.models import AccessAction, Customer, Staff
from crm.permissions import screen_staff
from crm.services.pronunciation import audio_kind_of
from crm.views import save_and_tell, screen_button, screen_saw
from personalization import story


def card_context(customer: Customer, staff: Staff, forms: dict) -> dict:
    """What the card's profile and story partials show: the profile form (with its errors when it was refused),
    the recording form, the survey answers, what the guest allows us to send, and the timeline's first page."""
    events, more = story.timeline(customer)
    return {
        "profile_form": forms.get("profile_form")
        or CustomerProfileForm(
            initial=CustomerProfileForm.initial_of(customer),
            organization=staff.organization,
            current_language=customer.language,
        ),
        "audio_form": forms.get("audio_form") or PronunciationAudioForm(),
        "feedback": story.feedback_of(customer),
        "low_score": story.LOW_SCORE,
        "unsubscribed_at": story.unsubscribed_at(customer),
        "timeline": events,
        "timeline_more": more,
        "timeline_page": 1,
    }


def _card_again(request: HttpRequest, customer: Customer, staff: Staff, **forms) -> HttpResponse:
    from personalization.views import _card  # the card renders itself; this module only adds to it

    return _card(request, customer, staff, status=400, **forms)


@login_required
@require_POST
def profile_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the profile through customer_update; refused → the card again with the errors on the fields (400)."""
    staff = screen_staff(request)
    customer = selectors.customer_get(organization=staff.organization, pk=pk)
    form = CustomerProfileForm(request.POST, organization=staff.organization, current_language=customer.language)
    if form.is_valid():
        token = form.cleaned_data["form_token"]
        if token in request.session.get(SUBMITTED_KEY, []):  # a double click: saved once already
            return redirect("card:customer", pk=customer.pk)
        try:
            services.customer_update(
                customer=customer, actor=request.user, property=staff.property, **form.service_fields()
            )
        except ValidationError as exc:
            form.apply_service_errors(exc)
            customer.refresh_from_db()
        else:
            first_submission(request, token)  # only now: a refused form is sent again with the same token
            messages.success(request, _("Profile saved."))
            return redirect("card:customer", pk=customer.pk)
    return _card_again(request, customer, staff, profile_form=form)


@login_required
@require_POST
def pronunciation_record(request: HttpRequest, pk: int) -> HttpResponse:
    """Keep the guest's recording of their name (recorded in the browser, or a file chosen without JavaScript)."""
    staff = screen_staff(request)
    customer = selectors.customer_get(organization=staff.organization, pk=pk)
    form = PronunciationAudioForm(request.POST, request.FILES)
    done = _("The guest's recording of their name was saved.")
    if save_and_tell(request, form, services.customer_pronunciation_record, done, customer=customer):
        return redirect("card:customer", pk=customer.pk)
    return _card_again(request, customer, staff, audio_form=form)


@screen_button(selectors.customer_get, lambda request, staff, customer: redirect("card:customer", pk=customer.pk))
def pronunciation_remove(request: HttpRequest, staff: Staff, customer: Customer) -> str:
    services.customer_pronunciation_remove(customer=customer, actor=request.user)
    return _("The recording was deleted.")


@login_required
def pronunciation_audio(request: HttpRequest, pk: int) -> FileResponse:
    """The recording itself, for the card's player: staff of the guest's organization only (it is the guest's
    voice: never a public media URL), recorded in the access log as a view of the profile."""
    staff = screen_staff(request)
    customer = selectors.customer_get(organization=staff.organization, pk=pk)
    kind = audio_kind_of(customer)
    if kind is None or not customer.pronunciation_audio.storage.exists(customer.pronunciation_audio.name):
        raise Http404
    screen_saw(request, staff, customer, AccessAction.PROFILE)
    return FileResponse(customer.pronunciation_audio.open("rb"), content_type=kind.content_type)


@login_required
def timeline_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A further page of the card's timeline ("More", htmx appends it; without JavaScript, a page of its own).
    A view of the guest's history: recorded."""
    staff = screen_staff(request)
    customer = selectors.customer_get(organization=staff.organization, pk=pk)
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    screen_saw(request, staff, customer, AccessAction.TIMELINE)
    events, more = story.timeline(customer, page=page)
    context = {"customer": customer, "timeline": events, "timeline_more": more, "timeline_page": page}
    template = "personalization/_card_timeline.html#events" if request.htmx else "personalization/timeline.html"
    return render(request, template, context)
