"""The isolation walk (issue 11, "Reliability": isolation): every route of the URLconf — API, screens, their htmx
partials, the admin — is requested by organization B's front desk, manager and admin against organization A's
objects. It fails on any answer that carries A's data, on any write that changed A's data, and on any route
that its table below does not list: a new route must be added here, one line, before it can ship.

How to add a route: one line in ROUTES (or, for a model registered in the admin, in ADMIN_MODELS), saying which
of A's objects fill its arguments, which methods to try and with what body. ``skip`` says why a route has
nothing to walk (and is the exception).
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from crm import services
from crm.models import (
    AccessRecord,
    ChangeRecord,
    Contact,
    Customer,
    ExternalId,
    GuestImport,
    ImportRow,
    Issue,
    Merge,
    Organization,
    Preference,
    Property,
    Staff,
    Stay,
    WebhookDelivery,
    WebhookEndpoint,
)
from crm.services import imports
from personalization.gifts.services import gift_rule_create
from personalization.models import Channel, Delight, Feedback, GiftRule, Tip, Touch, TouchKind
from personalization.touches import messages as touch_messages
from tests.factories import PropertyFactory, StaffFactory, StayFactory

pytestmark = pytest.mark.django_db

# Words only organization A's data holds: any of them in an answer to B is a leak.
MARKERS = (
    "Quixotica",  # a guest's given name
    "Zorblax",  # family name
    "zorblax-guest@alpha-secret.example",
    "+14155550199",
    "alpha-secret-peanut",  # an allergy
    "alpha-secret-leaking-tap",  # a complaint
    "alpha-secret-contact-note",
    "alpha-secret-rule",
    "alpha-secret-cake",
    "alpha-secret-tip",
    "alpha-secret-feedback",
    "Alpha Secret Hotel",  # the property
    "Alpha Secret Group",  # the organization
    "alpha_secret_desk",  # a staff username
    "alpha-secret-subject",  # a touch's subject
    "alpha-secret-device",  # two-factor devices
    "alpha-secret-static",
    "alpha-secret-stay-note",  # a stay
    "alpha-secret-pms-id",  # a guest's id in another system
    "alpha-secret-hook",  # a webhook's URL and description
    "alpha-secret-tag",  # a tag an import added
)


@dataclass(frozen=True)
class Route:
    """How to walk one route. args: URL argument → the key of one of A's objects (see world); methods: what to try
    besides GET; body: sent with the writes; query: added to GETs; skip: why there is nothing to walk."""

    args: dict[str, str] = field(default_factory=dict)
    methods: tuple[str, ...] = ()
    body: dict = field(default_factory=dict)
    query: str = ""
    skip: str = ""


W = ("POST",)
PREF, PASSWORDS = {"text": "x", "category": "drink"}, {"password1": "x-hacked-42!", "password2": "x-hacked-42!"}
HOOK = {"url": "https://93.184.215.14/hacked", "events": ["issue.resolved"]}
# One line per route of the URLconf (its pattern as Django prints it). Keep them in URLconf order.
ROUTES: dict[str, Route] = {
    "health/": Route(),
    "ready/": Route(),
    "ready/broker/": Route(),
    "api/v1/auth/token/": Route(methods=W, body={"username": "alpha_secret_desk", "password": "s3cret-pass!"}),
    "api/v1/auth/logout/": Route(),  # a POST revokes the walker's own token: GET only
    "api/v1/customers/<int:customer_id>/preferences/": Route({"customer_id": "customer"}, W, PREF),
    "api/v1/customers/<int:customer_id>/issues/": Route({"customer_id": "customer"}, W, {"summary": "x"}),
    "api/v1/customers/<int:customer_id>/contacts/": Route({"customer_id": "customer"}, W, {"kind": "visit"}),
    "api/v1/preferences/<int:pk>/": Route({"pk": "preference"}, ("PATCH", "DELETE"), {"text": "hacked"}),
    "api/v1/preferences/<int:pk>/confirm/": Route({"pk": "preference"}, W),
    "api/v1/issues/<int:pk>/": Route({"pk": "issue"}, ("PATCH",), {"summary": "hacked"}),
    "api/v1/properties/": Route(),
    "api/v1/stays/": Route(query="customer={customer}"),
    "api/v1/stays/<int:pk>/": Route({"pk": "stay"}),
    "api/v1/stays/<int:pk>/check-in/": Route({"pk": "stay"}, W),
    "api/v1/stays/by-external-id/<str:system>/<str:external_id>/": Route(
        {"system": "stay_system", "external_id": "stay_external_id"},
        ("PUT",),
        {"customer": "customer", "arrival": "2026-12-02", "departure": "2026-12-03", "note": "hacked"},
    ),
    "api/v1/imports/": Route(methods=W, body={"file": "x"}),
    "api/v1/imports/<int:pk>/": Route({"pk": "import"}),
    "api/v1/imports/<int:pk>/apply/": Route({"pk": "import"}, W),
    "api/v1/imports/<int:pk>/undo/": Route({"pk": "import"}, W),
    "api/v1/^customers/$": Route(methods=W, body={"given_name": "B guest"}, query="q=quixo"),
    "api/v1/^customers/duplicates/$": Route(),
    "api/v1/^customers/download/$": Route(query="q=Quixo"),
    "api/v1/^customers/(?P<pk>[^/.]+)/$": Route({"pk": "customer"}, ("PATCH", "DELETE"), {"given_name": "hacked"}),
    "api/v1/^customers/(?P<pk>[^/.]+)/merge/$": Route({"pk": "customer"}, W, {"duplicate_id": "twin"}),
    "api/v1/^customers/(?P<pk>[^/.]+)/access-log/$": Route({"pk": "customer"}),
    "api/v1/^customers/(?P<pk>[^/.]+)/erase/$": Route({"pk": "customer"}, W),
    "api/v1/^customers/(?P<pk>[^/.]+)/export/$": Route({"pk": "customer"}),
    "api/v1/^merges/$": Route(),
    "api/v1/^merges/(?P<pk>[^/.]+)/$": Route({"pk": "merge"}),
    "api/v1/^merges/(?P<pk>[^/.]+)/undo/$": Route({"pk": "merge"}, W),
    "api/v1/webhook-deliveries/<int:pk>/retry/": Route({"pk": "webhook_delivery"}, W),
    "api/v1/^webhooks/$": Route(methods=W, body=HOOK),
    "api/v1/^webhooks/(?P<pk>[^/.]+)/$": Route({"pk": "webhook"}, ("PATCH", "DELETE"), {"enabled": False}),
    "api/v1/^webhooks/(?P<pk>[^/.]+)/deliveries/$": Route({"pk": "webhook"}),
    "api/v1/^webhooks/(?P<pk>[^/.]+)/rotate-secret/$": Route({"pk": "webhook"}, W),
    "api/v1/customers/<int:customer_id>/brief/": Route({"customer_id": "customer"}),
    "api/v1/touches/": Route(query="customer={customer}"),
    "api/v1/touches/<int:pk>/cancel/": Route({"pk": "touch"}, W),
    "api/v1/touches/<int:pk>/send-now/": Route({"pk": "touch"}, W),
    "api/v1/tasks/": Route(query="customer={customer}"),
    "api/v1/arrivals/": Route(query="property={property}"),
    "api/v1/metrics/": Route(query="property={property}"),
    "api/v1/metrics/staff/": Route(query="property={property}"),
    "api/v1/tasks/<int:pk>/done/": Route({"pk": "task"}, W, {"outcome": "reached", "note": "x"}),
    "api/v1/^gift-rules/$": Route(methods=W, body={"name": "B rule", "trigger": "manual", "gift": "Tea"}),
    "api/v1/^gift-rules/(?P<pk>[^/.]+)/$": Route({"pk": "rule"}, ("PATCH", "DELETE"), {"name": "hacked"}),
    "api/v1/^gift-rules/(?P<pk>[^/.]+)/history/$": Route({"pk": "rule"}),
    "api/v1/^delights/$": Route(methods=W, body={"customer": "customer", "rule": "rule"}, query="customer={customer}"),
    "api/v1/^delights/(?P<pk>[^/.]+)/$": Route({"pk": "delight"}),
    "api/v1/^delights/(?P<pk>[^/.]+)/decline/$": Route({"pk": "delight"}, W),
    "api/v1/^delights/(?P<pk>[^/.]+)/deliver/$": Route({"pk": "delight"}, W),
    "api/v1/^delights/(?P<pk>[^/.]+)/plan/$": Route({"pk": "delight"}, W),
    "api/schema/": Route(),
    "api/docs/": Route(),
    "api/redoc/": Route(),
    "accounts/login/": Route(),
    "accounts/logout/": Route(skip="ends the walking user's session; holds no data"),
    "accounts/login/code/": Route(),
    "accounts/two-factor/": Route(),
    "i18n/setlang/": Route(methods=W, body={"language": "en"}),
    "": Route(query="q=quixo"),
    "duplicates/": Route(),
    "duplicates/merge/": Route(
        methods=W,
        body={"kept": "customer", "duplicate": "twin", "confirm": "on"},
        query="kept={customer}&duplicate={twin}",
    ),
    "merges/<int:pk>/undo/": Route({"pk": "merge"}, W),
    "customers/new/": Route(methods=W, body={"q": "quixo"}),
    # B types A's guest's name and email into the new-guest form: A's profile is never offered as a duplicate.
    "customers/new/duplicates/": Route(
        methods=W,
        body={"given_name": "Quixotica", "family_name": "Zorblax", "email": "zorblax-guest@alpha-secret.example"},
    ),
    "imports/": Route(),
    "imports/columns/": Route(methods=W),
    "imports/<int:pk>/": Route({"pk": "import"}),
    "imports/<int:pk>/progress/": Route({"pk": "import"}),
    "imports/<int:pk>/apply/": Route({"pk": "import"}, W),
    "imports/<int:pk>/undo/": Route({"pk": "import"}, W),
    "arrivals/": Route(query="property={property}"),
    "guests/download/": Route(query="property={property}"),
    "stays/<int:pk>/check-in/": Route({"pk": "stay"}, W),
    "webhooks/": Route(methods=W, body=HOOK),
    "webhooks/<int:pk>/": Route({"pk": "webhook"}, W, HOOK),
    "webhooks/<int:pk>/rotate/": Route({"pk": "webhook"}, W),
    "webhooks/<int:pk>/delete/": Route({"pk": "webhook"}, W),
    "webhook-deliveries/<int:pk>/retry/": Route({"pk": "webhook_delivery"}, W),
    "customers/<int:pk>/": Route({"pk": "customer"}),
    "customers/<int:pk>/export/": Route({"pk": "customer"}),
    "customers/<int:pk>/erase/": Route({"pk": "customer"}, W),
    "properties/<int:pk>/brand/": Route({"pk": "property"}, W, {"accent_color": "#000000", "signature": "hacked"}),
    "brand/<int:pk>/<str:name>": Route(skip="a logo is public (it is in every mail); its random name is the key"),
    "customers/<int:pk>/preferences/": Route({"pk": "customer"}, W, PREF),
    "customers/<int:pk>/issues/": Route({"pk": "customer"}, W, {"summary": "x"}),
    "customers/<int:pk>/contacts/": Route({"pk": "customer"}, W, {"kind": "visit"}),
    "customers/<int:pk>/profile/": Route({"pk": "customer"}, W, {"given_name": "hacked", "language": "en"}),
    "customers/<int:pk>/recording/": Route({"pk": "customer"}, W, {"consent": "on"}),
    "customers/<int:pk>/recording/delete/": Route({"pk": "customer"}, W),
    "customers/<int:pk>/recording.audio": Route({"pk": "customer"}),
    "customers/<int:pk>/timeline/": Route({"pk": "customer"}, query="page=1"),
    "preferences/<int:pk>/confirm/": Route({"pk": "preference"}, W),
    "customers/<int:pk>/delights/": Route({"pk": "customer"}, W, {"rule": "rule"}),
    "delights/<int:pk>/deliver/": Route({"pk": "delight"}, W),
    "delights/<int:pk>/plan/": Route({"pk": "delight"}, W),
    "delights/<int:pk>/decline/": Route({"pk": "delight"}, W),
    "issues/<int:pk>/acknowledge/": Route({"pk": "issue"}, W),
    "issues/<int:pk>/steps/": Route({"pk": "issue"}, W, {"steps": "listen"}),
    "issues/<int:pk>/resolve/": Route({"pk": "issue"}, W, {"resolution": "x", "guest_summary": "x"}),
    "issues/<int:pk>/reopen/": Route({"pk": "issue"}, W),
    "t/unsubscribe/<str:token>/": Route(skip="a signed link: whoever holds it is the guest (tests/personalization)"),
    "t/feedback/<str:token>/": Route(skip="a signed link: whoever holds it is the guest (tests/personalization)"),
    "touches/": Route(query="status=scheduled"),
    "properties/<int:pk>/brand/preview/": Route({"pk": "property"}, query="kind=thank_you&language=en"),
    "touches/<int:pk>/cancel/": Route({"pk": "touch"}, W),
    "touches/<int:pk>/send-now/": Route({"pk": "touch"}, W),
    "tasks/": Route(),
    "tasks/<int:pk>/claim/": Route({"pk": "task"}, W),
    "tasks/<int:pk>/done/": Route({"pk": "task"}, W, {"outcome": "reached", "note": "x"}),
    "gifts/": Route(),
    "gifts/new/": Route(),
    "gifts/check/": Route(methods=W, body={"name": "x", "trigger": "manual", "gift": "Tea"}),
    "gifts/<int:pk>/": Route({"pk": "rule"}, W, {"name": "hacked", "trigger": "manual", "gift": "Tea"}),
    "gifts/<int:pk>/check/": Route({"pk": "rule"}, W, {"name": "x", "trigger": "manual", "gift": "Tea"}),
    "gifts/<int:pk>/delete/": Route({"pk": "rule"}, W),
    "gifts/<int:pk>/history/": Route({"pk": "rule"}),
    "gifts/delivered/": Route(),
    "metrics/": Route(query="property={property}&table=staff&format=csv"),
    "metrics/rows/<slug:kind>/": Route({"kind": "metrics_rows"}, query="property={property}"),
    # The admin's own pages (its model pages are walked per model: ADMIN_MODELS).
    "admin/": Route(),
    "admin/login/": Route(),
    "admin/logout/": Route(skip="ends the walking user's session; holds no data"),
    "admin/password_change/": Route(),
    "admin/password_change/done/": Route(),
    "admin/autocomplete/": Route(query="app_label=crm&model_name=preference&field_name=customer&term=quixo"),
    "admin/jsi18n/": Route(),
    "admin/r/<path:content_type_id>/<path:object_id>/": Route(
        {"content_type_id": "ct:customer", "object_id": "customer"}
    ),  # noqa: E501
    "admin/auth/user/<id>/password/": Route({"id": "user"}, W, PASSWORDS),
    "admin/^(?P<app_label>auth|authtoken|django_celery_beat|axes|otp_totp|otp_static|crm|personalization)/$": Route(
        {"app_label": "apps"}
    ),
    "admin/otp_totp/totpdevice/<int:pk>/config/": Route({"pk": "totp"}),
    "admin/otp_totp/totpdevice/<int:pk>/qrcode/": Route({"pk": "totp"}),
    "admin/(?P<url>.*)$": Route(skip="the admin's catch-all: redirects to the login or says 404"),
}

# Every model registered in the admin → the key of A's object of that model (its change, history and delete pages
# are walked with it), or None for a model that holds no organization's data.
ADMIN_MODELS: dict[str, str | None] = {
    "auth.Group": None,
    "auth.User": "user",
    # django-axes: the operator's (superusers') record of sign-in attempts; the walk's world makes none.
    "axes.AccessAttempt": None,
    "axes.AccessFailureLog": None,
    "axes.AccessLog": None,
    "crm.AccessRecord": "access_record",
    "otp_static.StaticDevice": "static_device",
    "otp_totp.TOTPDevice": "totp",
    "authtoken.TokenProxy": "token_user",
    "crm.ChangeRecord": "change_record",
    "crm.Contact": "contact",
    "crm.Customer": "customer",
    "crm.Issue": "issue",
    "crm.Organization": "organization",
    "crm.Preference": "preference",
    "crm.Property": "property",
    "crm.Staff": "staff",
    "django_celery_beat.ClockedSchedule": None,
    "django_celery_beat.CrontabSchedule": None,
    "django_celery_beat.IntervalSchedule": None,
    "django_celery_beat.PeriodicTask": None,
    "django_celery_beat.SolarSchedule": None,
    "personalization.Feedback": "feedback",
    "personalization.Tip": "tip",
    "personalization.Touch": "touch",
}


def _routes(patterns=None, prefix: str = "", namespace: str = ""):
    """(pattern, name with namespace, callback) of every route, recursively."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}{pattern.name}" if pattern.name else None
            yield prefix + str(pattern.pattern), name, pattern.callback


def _admin_model(callback) -> str | None:
    model_admin = getattr(callback, "model_admin", None)
    return model_admin.model._meta.label if model_admin is not None else None


@pytest.fixture
def world():
    """Organization A, with one of everything, every text holding a marker; and organization B's three roles."""
    hotel = PropertyFactory(name="Alpha Secret Hotel", organization__name="Alpha Secret Group")
    a = hotel.organization
    desk = StaffFactory(property=hotel, role="frontdesk", user__username="alpha_secret_desk")
    guest = services.customer_create(
        organization=a,
        given_name="Quixotica",
        family_name="Zorblax",
        email="zorblax-guest@alpha-secret.example",
        phone="+14155550199",
        external_ids=[{"system": "opera", "id": "alpha-secret-pms-id"}],
    )
    twin = services.customer_create(organization=a, given_name="Quixotica", family_name="Zorblax")
    other = services.customer_create(organization=a, given_name="Quixotica", family_name="Zorblax-Merged")
    merge = services.customer_merge(kept=guest, duplicate=other)
    preference = services.preference_record(customer=guest, category="allergy", text="alpha-secret-peanut")
    issue = services.issue_open(customer=guest, summary="alpha-secret-leaking-tap")
    contact = services.contact_log(customer=guest, kind="visit", note="alpha-secret-contact-note", property=hotel)
    rule = gift_rule_create(organization=a, name="alpha-secret-rule", trigger="manual", gift="alpha-secret-cake")
    delight = Delight.objects.create(
        organization=a, customer=guest, rule=rule, occasion_key="manual:1", gift="alpha-secret-cake", cost=0
    )
    touch = Touch.objects.create(
        organization=a,
        customer=guest,
        property=hotel,
        kind=TouchKind.THANK_YOU,
        due_at=timezone.now(),
        idempotency_key="walk:a",
        subject="alpha-secret-subject",
    )
    task = Touch.objects.create(
        organization=a,
        customer=guest,
        property=hotel,
        kind=TouchKind.STAFF_TASK,
        channel=Channel.STAFF_TASK,
        issue=issue,
        due_at=timezone.now(),
        idempotency_key="walk:task",
    )
    stay = StayFactory(customer=guest, property=hotel, external_id="alpha-secret-res", note="alpha-secret-stay-note")
    guest_list = b"Name,Email,Tags\r\nQuixotica Zorblax,zorblax-guest@alpha-secret.example,alpha-secret-tag\r\n"
    upload = imports.import_preview(organization=a, actor=desk.user, file=io.BytesIO(guest_list), filename="alpha.csv")
    imports.import_apply(upload=upload, actor=desk.user)
    imports.import_run(import_id=upload.pk)
    feedback = Feedback.objects.create(customer=guest, touch=touch, score=2, comment="alpha-secret-feedback")
    tip = Tip.objects.create(organization=a, property=hotel, text="alpha-secret-tip")
    webhook = WebhookEndpoint.objects.create(
        organization=a,
        url="https://alpha-secret-hook.example/h",
        description="alpha-secret-hook",
        events=["issue.opened"],
        secret="whsec_" + "A" * 32,
    )
    webhook_delivery = WebhookDelivery.objects.create(
        endpoint=webhook,
        message_id="msg_alpha",
        event_type="issue.opened",
        payload={"data": "alpha-secret-hook"},
        status="failed",
        next_attempt_at=timezone.now(),
    )
    Token.objects.get_or_create(user=desk.user)
    totp = TOTPDevice.objects.create(user=desk.user, name="alpha-secret-device", confirmed=True)
    static_device = StaticDevice.objects.create(user=desk.user, name="alpha-secret-static", confirmed=True)
    reader = Client()
    reader.force_login(desk.user)
    reader.get(reverse("card:customer", kwargs={"pk": guest.pk}))  # an access record of A's guest
    objects: dict[str, Model | str] = {
        "organization": a,
        "property": hotel,
        "staff": desk,
        "user": desk.user,
        "token_user": desk.user,
        "customer": guest,
        "twin": twin,
        "merge": merge,
        "preference": preference,
        "issue": issue,
        "contact": contact,
        "totp": totp,
        "static_device": static_device,
        "rule": rule,
        "access_record": AccessRecord.objects.filter(organization=a).first(),
        "delight": delight,
        "touch": touch,
        "task": task,
        "feedback": feedback,
        "stay": stay,
        "import": upload,
        "stay_system": "opera",
        "metrics_rows": "answers",  # the dashboard's drill-down: A's survey answers
        "stay_external_id": "alpha-secret-res",
        "tip": tip,
        "webhook": webhook,
        "webhook_delivery": webhook_delivery,
        "change_record": ChangeRecord.objects.filter(organization=a, customer_id=guest.pk).first(),
    }
    assert touch_messages  # (signed links are walked in tests/personalization)
    elsewhere = PropertyFactory(name="Bravo Inn")
    walkers = {}
    for role in ("frontdesk", "manager", "admin"):
        staff = services.staff_upsert(
            username=f"bravo_{role}",
            password="bravo-pass-4242!",
            organization_name=elsewhere.organization.name,
            property_name=elsewhere.name,
            role=role,
        )
        walkers[role] = staff
    return objects, walkers


def _value(objects: dict, key: str):
    if key == "apps":
        return "crm"
    if key.startswith("ct:"):
        return ContentType.objects.get_for_model(type(objects[key[3:]])).pk
    return getattr(objects[key], "pk", objects[key])  # a model's id, or a plain value (a reservation id)


def _fingerprint(organization: Organization) -> dict[str, list]:
    """What B must never change: every row of A's, as it is."""
    models = {
        "customers": Customer.objects.filter(organization=organization),
        "preferences": Preference.objects.filter(customer__organization=organization),
        "issues": Issue.objects.filter(customer__organization=organization),
        "contacts": Contact.objects.filter(customer__organization=organization),
        "merges": Merge.objects.filter(kept__organization=organization),
        "rules": GiftRule.objects.filter(organization=organization),
        "delights": Delight.objects.filter(organization=organization),
        "touches": Touch.objects.filter(organization=organization),
        "tips": Tip.objects.filter(organization=organization),
        "webhooks": WebhookEndpoint.objects.filter(organization=organization),
        "webhook_deliveries": WebhookDelivery.objects.filter(endpoint__organization=organization),
        "staff": Staff.objects.filter(organization=organization),
        "properties": Property.objects.filter(organization=organization),
        "stays": Stay.objects.filter(organization=organization),
        "external_ids": ExternalId.objects.filter(organization=organization),
        "imports": GuestImport.objects.filter(organization=organization),
        "import_rows": ImportRow.objects.filter(upload__organization=organization),
    }
    return {name: sorted(map(repr, query.values())) for name, query in models.items()}


def _requests(pattern: str, name: str | None, callback, objects: dict):
    """(method, url, body, headers) to try for one route; [] for one that is skipped."""
    model = _admin_model(callback)
    if model is not None:
        key = ADMIN_MODELS[model]
        if "<path:object_id>" in pattern:
            if key is None:
                return []
            kwargs = {"object_id": _value(objects, key)}
        else:
            kwargs = {}
        url = reverse(f"admin:{name.split(':', 1)[1]}", kwargs=kwargs) if name else None
        return [("GET", url, {}, {})] if url else []
    route = ROUTES[pattern]
    if route.skip:
        return []
    kwargs = {arg: _value(objects, key) for arg, key in route.args.items()}
    if name is None:
        return []
    url = reverse(name, kwargs=kwargs)
    body = {k: (_value(objects, v) if isinstance(v, str) and v in objects else v) for k, v in route.body.items()}
    query = route.query.format(**{key: getattr(row, "pk", row) for key, row in objects.items()})
    tried = [("GET", f"{url}?{query}" if query else url, {}, {})]
    if not pattern.startswith(("api/", "admin/")):
        tried.append(("GET", f"{url}?{query}" if query else url, {}, {"HTTP_HX_REQUEST": "true"}))  # htmx partial
    tried += [(method, url, body, {}) for method in route.methods]
    return tried


def test_every_route_is_in_the_walks_table():
    missing, unknown_models = [], set()
    for pattern, _name, callback in _routes():
        model = _admin_model(callback)
        if model is not None:
            if model not in ADMIN_MODELS:
                unknown_models.add(model)
        elif pattern not in ROUTES and not pattern.startswith("^media/"):  # media: DEBUG only
            missing.append(pattern)
    assert not missing, f"add these routes to ROUTES in {__file__} (one line each): {missing}"
    assert not unknown_models, f"add these admin models to ADMIN_MODELS in {__file__}: {sorted(unknown_models)}"


@pytest.mark.parametrize("role", ["frontdesk", "manager", "admin"])
def test_another_organization_never_reads_or_changes_this_ones_data(world, role, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    objects, walkers = world
    walker = walkers[role]
    client = Client()
    client.force_login(walker.user)
    token = Token.objects.get_or_create(user=walker.user)[0].key
    before = _fingerprint(objects["organization"])
    leaks, writes, walked = [], [], 0
    for pattern, name, callback in _routes():
        if pattern.startswith("^media/"):
            continue
        for method, url, body, headers in _requests(pattern, name, callback, objects):
            if url.startswith("/api/"):
                headers = {**headers, "HTTP_AUTHORIZATION": f"Token {token}"}
            if method == "GET":
                response = client.get(url, **headers)
            elif url.startswith("/api/"):
                response = client.generic(method, url, json.dumps(body), "application/json", **headers)
            else:
                response = getattr(client, method.lower())(url, body, **headers)
            walked += 1
            text = response.content.decode(errors="replace") if not getattr(response, "streaming", False) else ""
            if 200 <= response.status_code < 300:
                found = [marker for marker in MARKERS if marker.lower() in text.lower()]
                if found:
                    leaks.append(f"{method} {url} → {response.status_code} shows {found}")
                elif method != "GET" and any(f"<{t}" in pattern for t in ("int:", "str:", "id>", "path:")):
                    leaks.append(f"{method} {url} → {response.status_code}: acted on A's object")
            if method != "GET" and _fingerprint(objects["organization"]) != before:
                writes.append(f"{method} {url} → {response.status_code} changed A's data")
                before = _fingerprint(objects["organization"])
            if client.session.get("_auth_user_id") is None:  # a route logged the walker out: back in
                client.force_login(walker.user)
    print(f"isolation walk: {walked} requests as organization B's {role}, {len(leaks)} leaks, {len(writes)} writes")
    assert walked > 150
    assert not leaks, "\n".join(leaks)
    assert not writes, "\n".join(writes)


def test_the_walk_sees_a_leak(world, settings):
    """The walk's own check: A's manager, walking A's data, must be told it sees it (else the walk proves nothing)."""
    settings.ALLOWED_HOSTS = ["testserver"]
    objects, _walkers = world
    client = Client()
    client.force_login(objects["staff"].user)
    page = client.get(reverse("card:customer", kwargs={"pk": objects["customer"].pk})).content.decode()
    assert re.search("Zorblax", page) and "alpha-secret-peanut" in page
