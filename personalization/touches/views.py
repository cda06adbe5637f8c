"""Screens of the touches: the guest's unsubscribe and survey pages (signed links, no login), the
managers' queue (filters, cancel, send now), and the desk's task list (take a task, finish it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.csp import CSP
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csp import csp_override
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from crm import brand, languages, masking
from crm import selectors as crm_selectors
from crm.errors import Conflict
from crm.models import Customer, Property, Staff
from crm.permissions import screen_manager, screen_properties, screen_property_id, screen_staff
from crm.views import act_and_tell, screen_button
from personalization import selectors
from personalization.models import Feedback, TaskOutcome, Touch, TouchKind, TouchStatus
from personalization.touches import messages as touch_messages
from personalization.touches import policy
from personalization.touches.services import manual as services
from personalization.touches.services import tasks as task_services

QUEUE_PAGE_SIZE = 50


class FeedbackForm(forms.Form):
    score = forms.TypedChoiceField(
        label=gettext_lazy("Your score"),
        choices=[(n, str(n)) for n in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    recommend = forms.TypedChoiceField(
        label=gettext_lazy("How likely are you to recommend us to a friend? (0 = not at all, 10 = extremely)"),
        choices=[(n, str(n)) for n in range(11)],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


def _brand(property_: Property | None) -> dict:
    """The property's look on a guest's page: its name, logo (served by the site: img-src 'self') and colours
    (in the page's nonce'd <style>, never a style attribute: the CSP forbids them)."""
    return {
        "brand_name": property_.name if property_ else "",
        "logo_url": brand.logo_path(property_),
        "palette": property_.palette() if property_ else brand.palette(None),
    }


def _public(request: HttpRequest, template: str, context: dict, language: str, status: int = 200) -> HttpResponse:
    context = {"brand_name": "", "logo_url": "", "palette": brand.palette(None), **context}
    with translation.override(language):
        response = render(request, template, {**context, "language": language}, status=status)
    response["X-Robots-Tag"] = "noindex"
    # The signed token is in the URL: never sent to another site. Not "no-referrer": with it the browser
    # sends "Origin: null" on the survey's own POST, and the CSRF check refuses the guest's answer.
    response["Referrer-Policy"] = "same-origin"
    return response


def _invalid(request: HttpRequest) -> HttpResponse:
    return _public(request, "personalization/touches/link_invalid.html", {}, translation.get_language(), 404)


@csrf_exempt  # RFC 8058 one-click: the mail client POSTs "List-Unsubscribe=One-Click" without a cookie
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a page with one button (mail scanners prefetch links, so a GET must change nothing);
    POST (that button, or the mail client's one-click): opted out, no login."""
    try:
        customer = Customer.objects.get(pk=touch_messages.read_unsubscribe_token(token)).surviving_profile()
    except (signing.BadSignature, Customer.DoesNotExist, ValueError, KeyError, TypeError):
        return _invalid(request)
    language = customer.message_language()
    # The property whose mails the guest receives (their touches' sender).
    context = {"customer": customer, **_brand(policy.default_property(customer))}
    if request.method == "POST":
        services.customer_unsubscribe(customer=customer)
        return _public(request, "personalization/touches/unsubscribed.html", context, language)
    return _public(request, "personalization/touches/unsubscribe.html", context, language)


def feedback(request: HttpRequest, token: str) -> HttpResponse:
    """The survey page of a follow-up: a 1–5 score and a comment, in the guest's language."""
    try:
        touch = Touch.objects.select_related("customer", "property", "issue").get(
            pk=touch_messages.read_feedback_token(token)
        )
    except (signing.BadSignature, Touch.DoesNotExist, ValueError, KeyError, TypeError):
        return _invalid(request)
    language = touch.customer.message_language()
    context = {
        **_brand(touch.property),
        "place": touch.property.name if touch.property else "",
        "issue": touch.issue,
        # What the guest may read about the issue; never its internal summary.
        "guest_words": touch.issue.guest_words if touch.issue else "",
    }
    answered = "personalization/touches/feedback_answered.html"
    if Feedback.objects.filter(touch=touch).exists():  # one answer per survey (services.feedback_record)
        return _public(request, answered, context, language, 409 if request.method == "POST" else 200)
    with translation.override(language):
        # ?score=N: the score the guest clicked in the message, chosen already (a GET records nothing).
        initial = {"score": request.GET["score"]} if request.GET.get("score") in {"1", "2", "3", "4", "5"} else {}
        form = FeedbackForm(request.POST if request.method == "POST" else None, initial=initial)
        if request.method == "POST":
            if form.is_valid():
                try:
                    services.feedback_record(touch=touch, **form.cleaned_data)
                except Conflict:  # answered in another tab a moment ago
                    return _public(request, answered, context, language, 409)
                return _public(request, "personalization/touches/feedback_thanks.html", context, language)
            return _public(request, "personalization/touches/feedback.html", {**context, "form": form}, language, 400)
    return _public(request, "personalization/touches/feedback.html", {**context, "form": form}, language)


# The preview is a mail, styled as mails are (inline styles, a <style> of its own), so its page allows inline styles;
# it runs no script at all and loads images only from the site (the logo).
MAIL_PREVIEW_CSP = {
    "default-src": [CSP.NONE],
    "style-src": [CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.NONE],
    "frame-ancestors": [CSP.SELF],
}


@csp_override(MAIL_PREVIEW_CSP)
@login_required
def brand_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Managers: a mail of ?kind= (a follow-up by default) of this property, for a sample guest, in ?language= (the
    manager's screen language by default), as guests will read it."""
    staff = screen_manager(request)
    property_ = crm_selectors.property_get(organization=staff.organization, pk=pk)
    kind = request.GET.get("kind", "")
    kind = kind if kind in touch_messages.MAIL_KINDS else TouchKind.ISSUE_FOLLOW_UP
    language = languages.message_language(request.GET.get("language") or translation.get_language())
    rendered = touch_messages.preview(property_, kind=kind, language=language, logo_src=brand.logo_path(property_))
    return HttpResponse(rendered.html)


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """The follow-up queue of the manager's organization, filtered by status and kind."""
    staff = screen_manager(request)
    touches = selectors.touch_list(organization=staff.organization)
    status, kind = request.GET.get("status", ""), request.GET.get("kind", "")
    if status in TouchStatus.values:
        touches = touches.filter(status=status)
    if kind in TouchKind.values:
        touches = touches.filter(kind=kind)
    page = Paginator(touches, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "kind": kind,
        "statuses": TouchStatus.choices,
        "kinds": TouchKind.choices,
        "properties": crm_selectors.property_list(organization=staff.organization),
    }
    return render(request, "personalization/touches/queue.html", context)


def _back(request: HttpRequest, default: str) -> HttpResponse:
    """Back to where a button was pressed (the form's `next`, when it is on this site: never an open redirect),
    else to the default screen."""
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect(default)


def _touch_button(action, done: Callable[[Any], str]):
    """A manager's button on a touch of the queue; back to where it was pressed (a local `next`) or the queue."""

    @screen_button(selectors.touch_get, lambda request, staff, touch: _back(request, "touches:queue"), manager=True)
    def view(request: HttpRequest, staff: Staff, touch: Touch) -> str:
        return done(action(touch=touch, actor=request.user))

    return view


cancel = _touch_button(services.touch_cancel, lambda _touch: _("Touch cancelled."))
# What a send-now really did: handed to a worker, or left to the dispatcher (issue 11, finding 12).
send_now = _touch_button(services.touch_send_now, services.SendNow.message)


# --- the desk's tasks ----------------------------------------------------------------------------------

TASKS_PAGE_SIZE = 50


class TaskDoneForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("How did it go?"), choices=TaskOutcome.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


def _task_page(
    request: HttpRequest, staff: Staff, *, status: int = 200, failed: Touch | None = None, form=None
) -> HttpResponse:
    shown = "done" if request.GET.get("status") == "done" else "open"
    property_id = screen_property_id(request, staff)
    tasks = selectors.task_list(organization=staff.organization, status=shown, property_id=property_id)
    page = Paginator(tasks, TASKS_PAGE_SIZE).get_page(request.GET.get("page"))
    full = masking.sees_contacts_in_lists(staff)
    now = timezone.now()
    rows = [
        {
            "task": task,
            "overdue": shown == "open" and task.due_at <= now,
            # A list of many guests: front desk sees phones masked (crm.masking); the card shows them in full.
            "phone": task.customer.phone if full else masking.mask_phone(task.customer.phone),
            "form": form if failed is not None and failed.pk == task.pk else TaskDoneForm(auto_id=f"task{task.pk}_%s"),
        }
        for task in page
    ]
    context = {
        "page": page,
        "rows": rows,
        "status": shown,
        "property_id": property_id,
        "properties": screen_properties(staff),
    }
    return render(request, "personalization/tasks/list.html", context, status=status)


@login_required
def tasks(request: HttpRequest) -> HttpResponse:
    """The desk's tasks at the staff member's property: open ones (due or not yet) with the most overdue first, or
    the ones done lately; front desk and managers alike."""
    return _task_page(request, screen_staff(request))


@screen_button(selectors.task_get, lambda request, staff, task: _back(request, "touches:tasks"))
def task_claim(request: HttpRequest, staff: Staff, task: Touch) -> str:
    task_services.task_claim(touch=task, actor=request.user)
    return _("The task is yours.")


@login_required
@require_POST
def task_done(request: HttpRequest, pk: int) -> HttpResponse:
    """Finish a task with an outcome and a note; a bad form is shown again on the list with its errors (400)."""
    staff = screen_staff(request)
    task = selectors.task_get(organization=staff.organization, pk=pk)
    form = TaskDoneForm(request.POST, auto_id=f"task{task.pk}_%s")
    if not form.is_valid():
        return _task_page(request, staff, status=400, failed=task, form=form)
    act_and_tell(
        request,
        lambda: task_services.task_finish(touch=task, actor=request.user, property=staff.property, **form.cleaned_data),
        lambda done: _("Done: %(outcome)s.") % {"outcome": done.get_outcome_display()},
    )
    return _back(request, "touches:tasks")
