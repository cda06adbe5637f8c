"""The managers' webhooks screens (front desk 403, another organization's 404): the endpoints with a notice for
those disabled after days of failures, a form to add one (its secret shown once), each one's settings, its
delivery log and a Retry button."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.forms import apply_service_errors
from crm.models import Staff, WebhookDelivery, WebhookEndpoint
from crm.permissions import screen_manager
from crm.views import save_and_tell, screen_button
from crm.webhooks import selectors, services
from crm.webhooks.forms import WebhookForm

LOG_PAGE_SIZE = 50


@login_required
def endpoint_list(request: HttpRequest) -> HttpResponse:
    """The organization's webhooks and the form to add one; a POST adds it and shows its secret, once."""
    staff = screen_manager(request)
    form = WebhookForm(request.POST or None, initial={"enabled": True})
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in ("url", "events", "description")}
        try:
            endpoint = services.webhook_endpoint_create(organization=staff.organization, actor=request.user, **data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return _detail(request, endpoint, secret=endpoint.secret)
    return render(
        request,
        "webhooks/list.html",
        {
            "endpoints": selectors.webhook_endpoint_list(organization=staff.organization),
            "failing": selectors.webhook_endpoints_disabled_for_failing(organization=staff.organization),
            "form": form,
        },
        status=400 if form.errors else 200,
    )


def _detail(
    request: HttpRequest, endpoint: WebhookEndpoint, *, form: WebhookForm | None = None, secret: str = ""
) -> HttpResponse:
    form = form or WebhookForm(
        initial={
            "url": endpoint.url,
            "events": endpoint.events,
            "description": endpoint.description,
            "enabled": endpoint.enabled,
        }
    )
    log = Paginator(selectors.webhook_delivery_list(endpoint=endpoint), LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "webhooks/detail.html",
        {"endpoint": endpoint, "form": form, "secret": secret, "log": log},
        status=400 if form.errors else 200,
    )


@login_required
def endpoint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One webhook: its settings (a POST changes them) and its delivery log, newest first."""
    staff = screen_manager(request)
    endpoint = selectors.webhook_endpoint_get(organization=staff.organization, pk=pk)
    if request.method != "POST":
        return _detail(request, endpoint)
    form = WebhookForm(request.POST)
    if save_and_tell(request, form, services.webhook_endpoint_update, _("Webhook saved."), endpoint=endpoint):
        return redirect("webhooks:detail", pk=endpoint.pk)
    endpoint.refresh_from_db()
    return _detail(request, endpoint, form=form)


@login_required
@require_POST
def endpoint_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    """A new secret, shown once on the webhook's page."""
    staff = screen_manager(request)
    endpoint = selectors.webhook_endpoint_get(organization=staff.organization, pk=pk)
    endpoint = services.webhook_secret_rotate(endpoint=endpoint, actor=request.user)
    return _detail(request, endpoint, secret=endpoint.secret)


@screen_button(selectors.webhook_endpoint_get, lambda request, staff, endpoint: redirect("webhooks:list"), manager=True)
def endpoint_delete(request: HttpRequest, staff: Staff, endpoint: WebhookEndpoint) -> str:
    services.webhook_endpoint_delete(endpoint=endpoint, actor=request.user)
    return _("Webhook deleted.")


@screen_button(
    selectors.webhook_delivery_get,
    lambda request, staff, delivery: redirect("webhooks:detail", pk=delivery.endpoint_id),
    manager=True,
)
def delivery_retry(request: HttpRequest, staff: Staff, delivery: WebhookDelivery) -> str:
    """The log's Retry button: sent again now, under the same webhook-id."""
    retried = services.webhook_delivery_retry(delivery=delivery, actor=request.user)
    return _("Sending %(id)s again now.") % {"id": retried.message_id}
