"""Writes of customers."""

from __future__ import annotations

from typing import Any, TypedDict

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Model, Q, TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from crm import phones, prepared, signals
from crm.bulk import insert_one
from crm.lookup import terms
from crm.models import (
    AccessAction,
    AccessChannel,
    ChangeAction,
    ChangeRecord,
    Customer,
    EventType,
    ExternalId,
    Organization,
    Property,
)
from crm.models.tenancy import phone_region_of
from crm.services.access import access_record
from crm.services.common import User, assign, clean_for_save, created, record, update_fields
from crm.webhooks import events as webhook_events
from crm.webhooks import services as webhooks

# How a guest is written and said beside the given and family name (a merge fills these too).
NAME_DETAIL_FIELDS = (
    "native_name",
    "latin_name",
    "preferred_name",
    "salutation",
    "pronunciation",
    "pronunciation_ipa",
    "pronunciation_note",
)
# What callers may write, in the order the API shows them (crm.serializers lists these, not copies).
CUSTOMER_FIELDS = (
    "given_name",
    "family_name",
    "name_order",
    *NAME_DETAIL_FIELDS,
    "language",
    "email",
    "phone",
    "birthday",
    "anniversary",
    "tags",
    "consent_service",
    "consent_marketing",
    "consent_surprises",
    "do_not_contact",
    "home_property",
)
# Fields whose change changes how the customer is found or addressed (crm.lookup.terms).
LOOKUP_FIELDS = frozenset({*terms.NAME_FIELDS, "email", "phone", "birthday", "language", "salutation"})
# customer_update(via=…): the guest unsubscribed through a link in a message (the card says so, with when).
UNSUBSCRIBE_LINK = "unsubscribe_link"
RESTRICTING_FLAGS = {
    "consent_service": False,
    "consent_marketing": False,
    "consent_surprises": False,
    "do_not_contact": True,
}


def phone_region(*, at: Property | None, home: Property | None) -> str:
    """The country a phone typed without +country is read in: the desk's property (where it was typed), else
    the guest's home property, else PHONE_DEFAULT_REGION (Property.phone_region)."""
    return phone_region_of(at if at is not None else home)


def _normalize_customer_fields(
    fields: dict[str, Any], *, organization: Organization, property: Property | None, home: Property | None = None
) -> dict[str, Any]:
    fields = dict(fields)
    if "phone" in fields:
        region = phone_region(at=property, home=fields.get("home_property", home))
        try:
            fields["phone"] = phones.to_e164(fields["phone"] or "", region=region)
        except ValidationError as exc:
            raise ValidationError({"phone": exc.messages}) from exc
    if "email" in fields:
        fields["email"] = (fields["email"] or "").strip()
    if "language" in fields:
        fields["language"] = (fields["language"] or "en").strip().lower()
    if "tags" in fields:
        fields["tags"] = list(dict.fromkeys(t.strip() for t in fields["tags"] if t and t.strip()))
    home = fields.get("home_property")
    if home is not None and home.organization_id != organization.pk:
        raise ValidationError({"home_property": [_("Unknown property.")]})
    return fields


@transaction.atomic
def customer_create(
    *, organization: Organization, actor: User | None = None, property: Property | None = None, **fields: Any
) -> Customer:
    """Create a customer in organization from validated fields (see CUSTOMER_FIELDS); property: where it is
    typed (a phone without +country is read in its country)."""
    external_ids = fields.pop("external_ids", None)
    fields = _normalize_customer_fields(fields, organization=organization, property=property)
    customer = Customer(organization=organization)
    assign(customer, fields, CUSTOMER_FIELDS)
    clean_for_save(customer)
    terms.derive_name_fields(customer)
    insert_one(customer)
    changes = created(fields)
    if external_ids:
        changes |= _external_ids_replace(customer, external_ids, held=set())
    else:
        _external_ids_known(customer, [])  # none yet: the API's answer needs no SELECT to show it
    # The search terms and the vocabulary go with the change record (whose id is read back), the webhook endpoints'
    # read takes the next round trip, and leaving the pipeline one more (its Sync, with nothing left to send): three
    # round trips where there were four, and no statement waits for its own.
    with prepared.sent_together(connection):
        terms.index_customer(customer, new=True)
        record(actor=actor, action=ChangeAction.CUSTOMER_CREATE, target=customer, changes=changes)
        webhooks.webhook_event_record(
            organization_id=organization.pk,
            event_type=EventType.CUSTOMER_CREATED,
            data=webhook_events.customer_data(customer),
        )
    return customer


@transaction.atomic
def customer_update(
    *, customer: Customer, actor: User | None = None, property: Property | None = None, via: str = "", **fields: Any
) -> Customer:
    """Change some of a customer's fields; withdrawing consent announces it so pending touches stop. property:
    where it is typed (a phone without +country is read in its country, else in the home property's). ``via``
    says how a change without a staff member came (UNSUBSCRIBE_LINK), as a fact of the change record."""
    external_ids = fields.pop("external_ids", None)
    fields = _normalize_customer_fields(
        fields, organization=customer.organization, property=property, home=customer.home_property
    )
    was = terms.vocabulary_words(customer)  # the old name's words, which the vocabulary forgets on a rename
    changed = assign(customer, fields, CUSTOMER_FIELDS)
    if external_ids is not None:
        changed |= _external_ids_replace(customer, external_ids)
    if not changed:
        return customer
    clean_for_save(customer)
    reindex = LOOKUP_FIELDS.intersection(changed)
    if reindex:
        terms.derive_name_fields(customer)
    derived = set(terms.DERIVED_FIELDS) if reindex else set()
    customer.save(update_fields=update_fields((set(changed) - {"external_ids"}) | derived))
    if reindex:
        terms.index_customer(customer, was=was)
    record(
        actor=actor,
        action=ChangeAction.CUSTOMER_UPDATE,
        target=customer,
        changes={**changed, "via": via} if via else changed,
    )
    webhooks.webhook_event_record(
        organization_id=customer.organization_id,
        event_type=EventType.CUSTOMER_UPDATED,
        data=webhook_events.customer_data(customer, changed=list(changed)),
    )
    if any(name in changed and changed[name]["new"] == value for name, value in RESTRICTING_FLAGS.items()):
        signals.customer_contact_restricted.send(sender=Customer, customer=customer, actor=actor)
    return customer


def external_id_text(system: str, value: str) -> str:
    """How an external id is written in a message and a query: SYSTEM:ID."""
    return f"{system}:{value}"


def _external_ids_replace(
    customer: Customer, external_ids: list[dict[str, str]], *, held: set[tuple[str, str]] | None = None
) -> dict[str, dict[str, Any]]:
    """Make the guest's ids in other systems exactly external_ids ([{"system", "id"}]); the change, if any. An id
    that already names another guest of the organization is refused, naming that guest (never moved silently).
    held: the ids the guest has (a new guest: none), else read (or taken from customer_get's prefetch)."""
    wanted = {(item["system"].strip().lower(), item["id"].strip()) for item in external_ids}
    rows = {(row.system, row.value): row for row in customer.external_ids.all()} if held is None else {}
    held = set(rows) if held is None else held
    if wanted == held:
        return {}
    new = [
        ExternalId(organization=customer.organization, customer=customer, system=system, value=value)
        for system, value in wanted - held
    ]
    for row in new:
        try:
            row.full_clean(exclude=["organization", "customer"], validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            raise ValidationError({"external_ids": exc.messages}) from exc
    stale = [rows[key].pk for key in held - wanted]
    if stale:
        ExternalId.objects.filter(pk__in=stale).delete()
    if new:
        # The unique constraint decides, not a SELECT per id before: the savepoint keeps the transaction usable to
        # name the guest who holds the id (gone by then if it was a concurrent write that rolled back).
        try:
            with transaction.atomic():
                ExternalId.objects.bulk_create(new)
        except IntegrityError as exc:
            raise _external_id_taken(customer, new) from exc
    # A prefetched list (the API's customer_get) would answer with the ids as they were: the ids now take its place.
    _external_ids_known(customer, [rows[key] for key in held & wanted] + new)
    old = sorted(external_id_text(s, v) for s, v in held)
    return {"external_ids": {"old": old, "new": sorted(external_id_text(s, v) for s, v in wanted)}}


def _external_ids_known(customer: Customer, rows: list[ExternalId]) -> None:
    """customer.external_ids.all() answers these rows (all the guest holds, just written) without a SELECT, as
    after prefetch_related("external_ids"), in ExternalId's order; set the way Django's prefetch sets it."""
    if not hasattr(customer, "_prefetched_objects_cache"):
        customer._prefetched_objects_cache = {}
    customer._prefetched_objects_cache.pop("external_ids", None)  # else .all() would hand back the stale list
    known = customer.external_ids.all()
    known._result_cache = sorted(rows, key=lambda row: (row.system, row.value))
    known._prefetch_done = True
    customer._prefetched_objects_cache["external_ids"] = known


def _external_id_taken(customer: Customer, new: list[ExternalId]) -> ValidationError:
    """The refusal of ids of which one already names another guest: that id and guest, when still on file."""
    taken = Q()
    for row in new:
        taken |= Q(system=row.system, value=row.value)
    other = (
        ExternalId.objects.filter(taken, organization=customer.organization)
        .exclude(customer=customer)
        .order_by("system", "value")
        .values_list("system", "value", "customer_id")
        .first()
    )
    if other is None:
        return ValidationError({"external_ids": [_("An id already names another guest.")]}, code="unique")
    system, value, other_id = other
    return ValidationError(
        {
            "external_ids": [
                _("%(id)s already names another guest (#%(other)s).")
                % {"id": external_id_text(system, value), "other": other_id}
            ]
        },
        code="unique",
    )


class ErasureSummary(TypedDict):
    """What customer_erase did, for the API's answer and the erase record."""

    customer_id: int
    profiles: int  # the guest and the profiles merged into theirs
    deleted: dict[str, int]  # rows deleted, by model ("crm.preference": 3, "personalization.touch": 2, …)
    touches_cancelled: int
    change_records_scrubbed: int
    admin_log_entries_scrubbed: int
    files_deleted: int


@transaction.atomic
def customer_erase(
    *,
    customer: Customer,
    actor: User | None = None,
    channel: AccessChannel | str = AccessChannel.API,
    property_id: int | None = None,
) -> ErasureSummary:
    """Forget a guest for good, in one transaction: their profile, search terms, preferences, issues, contacts
    and every other row pointing at them (personalization's touches with their rendered messages, delights,
    feedback with its comments…, which go with the customer row; pending touches are cancelled first), the
    values of every change record about them, the admin log's names, and their stored files (after the commit).

    What stays, anonymous: the change records' action, actor, time and ids; the access records (the guest's id
    only); the gift rules' monthly spending (GiftSpend: amounts and numbers of deliveries, no guest); and, for
    metrics, the erase record's ``changes["erased"]``: how many rows of each kind were erased, nothing else."""
    # The profiles merged into this one are the same person: they go too (else SET_NULL would revive them).
    erased, ids = [customer], [customer.pk]
    while ids:
        ids = list(Customer.objects.filter(merged_into__in=ids).values_list("pk", flat=True))
        erased += list(Customer.objects.filter(pk__in=ids))
    cancelled = 0
    erase_records = []
    for person in erased:
        for _receiver, answer in signals.customer_erasing.send(sender=Customer, customer=person, actor=actor):
            cancelled += answer if isinstance(answer, int) else 0
        erase_records.append(
            record(organization=customer.organization, actor=actor, action=ChangeAction.CUSTOMER_ERASE, target=person)
        )
    ids = [person.pk for person in erased]
    webhooks.webhook_event_record(
        organization_id=customer.organization_id,
        event_type=EventType.CUSTOMER_ERASED,
        data={"id": customer.pk, "profiles": ids},  # ids only: the guest is forgotten
    )
    # Before the delete: the scrub finds their rows' records through the rows.
    records_scrubbed, log_scrubbed = _scrub_history(ids)
    files = [(person.pronunciation_audio.storage, person.pronunciation_audio.name) for person in erased]
    files = [(storage, name) for storage, name in files if name]
    terms.forget_customers(erased)
    _total, deleted = Customer.objects.filter(pk__in=ids).delete()
    for storage, name in files:
        # After the commit: a rolled-back erase keeps the file its profile still names.
        transaction.on_commit(lambda storage=storage, name=name: storage.delete(name))
    counts = {label.lower(): n for label, n in sorted(deleted.items()) if n}
    # The counts are written after the scrub emptied the records: numbers only, never a value of the guest.
    ChangeRecord.objects.filter(pk=erase_records[0].pk).update(changes={"erased": counts})
    access_record(
        organization_id=customer.organization_id,
        customer_id=customer.pk,
        actor=actor,
        action=AccessAction.ERASE,
        channel=channel,
        property_id=property_id,
    )
    return {
        "customer_id": customer.pk,
        "profiles": len(ids),
        "deleted": counts,
        "touches_cancelled": cancelled,
        "change_records_scrubbed": records_scrubbed,
        "admin_log_entries_scrubbed": log_scrubbed,
        "files_deleted": len(files),
    }


def _scrub_history(customer_ids: list[int]) -> tuple[int, int]:
    """Empty what the history holds of these guests: the changes of every ChangeRecord about them or any row of
    theirs (also one that moved between profiles in a merge, or was recorded before records knew their guest),
    and what the admin's log shows of those rows. The action, actor, time and ids stay. Returns how many change
    records and admin log entries were scrubbed."""
    records = ChangeRecord.objects.filter(
        Q(customer_id__in=customer_ids) | Q(target_type="customer", target_id__in=customer_ids)
    ).update(changes={})
    log = _scrub_admin_log(Customer, [str(pk) for pk in customer_ids])
    # Every row with a foreign key to them — preferences, issues, contacts, and personalization's delights,
    # touches… without crm importing it — goes with them. One statement per kind of row, each a join on an
    # index (change_target, the admin log's content type), not one OR that PostgreSQL would scan the table for.
    for relation in Customer._meta.related_objects:
        model = relation.related_model
        if relation.many_to_many or model is Customer:
            continue
        rows = model._base_manager.filter(**{f"{relation.field.name}__in": customer_ids})
        records += ChangeRecord.objects.filter(
            target_type=model._meta.model_name, target_id__in=rows.values("pk")
        ).update(changes={})
        log += _scrub_admin_log(model, rows.annotate(text_id=Cast("pk", TextField())).values("text_id"))
    return records, log


def _scrub_admin_log(model: type[Model], object_ids: Any) -> int:
    # django.contrib.admin's LogEntry shows each row as it was named (a customer's name, a preference's text).
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_id__in=object_ids
    ).update(object_repr=F("object_id"), change_message="[]")
