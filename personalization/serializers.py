"""API shapes of the personalization app. The brief is built as plain data (personalization.brief);
these serializers describe it for the OpenAPI schema and validate the query parameters."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from crm.models import ContactKind, IssueStatus, Polarity, PreferenceCategory, RecoveryStep, Severity, Source
from crm.validators import FREE_TEXT_MAX_LENGTH
from personalization.models import Channel, DelightStatus, TaskOutcome, TouchKind, TouchStatus


class BriefQuerySerializer(serializers.Serializer):
    contact_kind = serializers.ChoiceField(
        choices=ContactKind.choices, required=False, help_text="What kind of contact this is; ranks the recall."
    )


class BriefCustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()
    language = serializers.ChoiceField(choices=["en", "zh-hans", "zh-hant"], help_text="Language of the texts.")


class PronunciationSerializer(serializers.Serializer):
    respelling = serializers.CharField(allow_blank=True)
    pinyin = serializers.CharField(allow_blank=True, help_text="Tone-marked pinyin for Han names, else empty.")
    note = serializers.CharField(allow_blank=True)


class GreetStaySerializer(serializers.Serializer):
    arrival = serializers.DateField()
    departure = serializers.DateField()
    nights = serializers.IntegerField(help_text="Said in `text`: “Two nights with us.”")
    room = serializers.CharField(allow_blank=True)


class GreetSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="In the customer's language.")
    name = serializers.CharField(help_text="How to address them.")
    salutation = serializers.CharField(allow_blank=True)
    occasion = serializers.ChoiceField(
        choices=["birthday", "anniversary"],
        allow_null=True,
        help_text="The guest's birthday or anniversary when it is today at the property (then in `text`), else null.",
    )
    pronunciation = PronunciationSerializer()
    visit_count = serializers.IntegerField(help_text="Visits logged (arrival and visit contacts).")
    last_seen = serializers.DateTimeField(allow_null=True)
    visit_number = serializers.IntegerField(
        help_text="This visit's number, counted once whether its arrival is logged yet or not."
    )
    previous_visit = serializers.DateTimeField(
        allow_null=True, help_text="When the visit before this one was (what `text` says), if known."
    )
    stay = GreetStaySerializer(
        allow_null=True, help_text="The guest's stay at this property going on today (a PMS push), else null."
    )


class SafetySerializer(serializers.Serializer):
    preference_id = serializers.IntegerField()
    category = serializers.ChoiceField(choices=PreferenceCategory.choices)
    text = serializers.CharField()
    polarity = serializers.ChoiceField(choices=Polarity.choices)


class RecallSerializer(SafetySerializer):
    source = serializers.ChoiceField(choices=Source.choices)
    times_confirmed = serializers.IntegerField()
    last_confirmed_at = serializers.DateTimeField()
    needs_reconfirmation = serializers.BooleanField(help_text="Not confirmed for a long time: ask “still true?”")


class RepairSerializer(serializers.Serializer):
    issue_id = serializers.IntegerField()
    summary = serializers.CharField()
    status = serializers.ChoiceField(choices=IssueStatus.choices)
    severity = serializers.ChoiceField(choices=Severity.choices)
    next_step = serializers.CharField(help_text="The next move of the recovery sequence, in the staff's language.")
    steps_done = serializers.ListField(
        child=serializers.ChoiceField(choices=RecoveryStep.choices), help_text="The recovery steps ticked so far."
    )


class BriefDelightSerializer(serializers.Serializer):
    delight_id = serializers.IntegerField()
    rule_id = serializers.IntegerField()
    gift = serializers.CharField()
    reason = serializers.CharField()
    cost = serializers.DecimalField(max_digits=10, decimal_places=2)
    status = serializers.ChoiceField(choices=DelightStatus.choices, help_text="suggested or planned.")
    needs_approval = serializers.BooleanField(help_text="Costs more than the rule allows without a manager.")
    budget_left = serializers.DecimalField(
        max_digits=10, decimal_places=2, allow_null=True, help_text="This month; null when the rule has no cap."
    )


class TipSerializer(serializers.Serializer):
    text = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())


class CloseSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="In the customer's language.")


class BriefSerializer(serializers.Serializer):
    customer = BriefCustomerSerializer()
    greet = GreetSerializer()
    safety = SafetySerializer(many=True)
    recall = RecallSerializer(many=True)
    repair = RepairSerializer(many=True)
    delight = BriefDelightSerializer(
        many=True, help_text="What the gift rules suggest now, best first; POST /delights/{id}/deliver/ delivers it."
    )
    tips = TipSerializer(many=True)
    close = CloseSerializer()


class TouchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    customer = serializers.IntegerField(source="customer_id")
    issue = serializers.IntegerField(source="issue_id", allow_null=True)
    kind = serializers.ChoiceField(choices=TouchKind.choices)
    channel = serializers.ChoiceField(choices=Channel.choices, help_text="staff_task: a call-back shown to the desk.")
    due_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=TouchStatus.choices)
    reason = serializers.CharField(allow_blank=True, help_text="Why it was skipped, failed, cancelled or postponed.")
    attempts = serializers.IntegerField()
    subject = serializers.CharField(allow_blank=True, help_text="The subject as sent (empty until rendered).")
    sent_at = serializers.DateTimeField(allow_null=True)


class TouchSendNowSerializer(TouchSerializer):
    handed_to_worker = serializers.BooleanField(
        help_text="false: the broker could not be reached; the dispatcher sends it once it is back (see detail)."
    )
    detail = serializers.CharField(help_text="What will happen, in the caller's language.")


class TouchQuerySerializer(serializers.Serializer):
    customer = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    status = serializers.ChoiceField(choices=TouchStatus.choices, required=False)
    kind = serializers.ChoiceField(choices=TouchKind.choices, required=False)


# --- the desk's tasks -----------------------------------------------------------------------------------

# A task's kind as the API names it, from the touch kind that holds it.
TASK_KINDS = {TouchKind.STAFF_TASK: "call_back"}


class TaskSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    customer = serializers.IntegerField(source="customer_id")
    kind = serializers.SerializerMethodField(help_text="call_back: call the guest (a resolved issue, no email).")
    due_at = serializers.DateTimeField()
    status = serializers.ChoiceField(
        source="task_status",
        choices=["open", "done", "cancelled"],
        help_text="open: to do (due or not yet); done: finished with an outcome; cancelled: no longer wanted "
        "(the issue reopened, the guest withdrew consent…).",
    )
    outcome = serializers.ChoiceField(choices=TaskOutcome.choices, allow_null=True, source="outcome_or_none")
    note = serializers.CharField(allow_blank=True)
    issue = serializers.IntegerField(source="issue_id", allow_null=True)
    property = serializers.IntegerField(source="property_id", allow_null=True)
    assignee = serializers.IntegerField(source="assignee_id", allow_null=True, help_text="Who took it (user id).")
    done_at = serializers.DateTimeField(allow_null=True)
    done_by = serializers.IntegerField(source="done_by_id", allow_null=True)

    def get_kind(self, task) -> str:
        return TASK_KINDS.get(task.kind, task.kind)


class TaskQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["open", "done"], required=False)
    customer = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    property = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)

    def validate_property(self, value: int) -> int:
        organization = self.context["organization"]
        if not organization.properties.filter(pk=value).exists():
            raise serializers.ValidationError(_("Unknown property."))
        return value


class TaskDoneSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=TaskOutcome.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=FREE_TEXT_MAX_LENGTH, default="")


class ArrivalsQuerySerializer(serializers.Serializer):
    property = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="Default: the caller's property."
    )
    date = serializers.DateField(required=False, help_text="YYYY-MM-DD; default: today at the property.")
    needs = serializers.BooleanField(
        required=False, default=False, help_text="true: only the guests with something to prepare."
    )

    def validate_property(self, value: int) -> int:
        if not self.context["organization"].properties.filter(pk=value).exists():
            raise serializers.ValidationError(_("Unknown property."))
        return value


class ArrivalStaySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    arrival = serializers.DateField()
    departure = serializers.DateField()
    nights = serializers.IntegerField()
    room = serializers.CharField(allow_blank=True)
    party_size = serializers.IntegerField()
    status = serializers.CharField()
    checked_in_at = serializers.DateTimeField(allow_null=True)


class ArrivalGuestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    visit_count = serializers.IntegerField()


class ArrivalSafetySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    category = serializers.ChoiceField(choices=PreferenceCategory.choices)
    polarity = serializers.ChoiceField(choices=Polarity.choices)
    text = serializers.CharField()


class ArrivalIssueSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    summary = serializers.CharField()
    status = serializers.ChoiceField(choices=IssueStatus.choices)
    severity = serializers.ChoiceField(choices=Severity.choices)


class ArrivalDelightSerializer(serializers.Serializer):
    rule_id = serializers.IntegerField(source="rule.pk")
    gift = serializers.CharField()
    reason = serializers.CharField()
    cost = serializers.DecimalField(max_digits=10, decimal_places=2, coerce_to_string=True)


class ArrivalOccasionSerializer(serializers.Serializer):
    occasion = serializers.ChoiceField(choices=["birthday", "anniversary"])
    on = serializers.DateField()


class ArrivalPronunciationSerializer(serializers.Serializer):
    respelling = serializers.CharField(source="pronunciation", allow_blank=True)
    ipa = serializers.CharField(source="pronunciation_ipa", allow_blank=True)
    recording = serializers.SerializerMethodField()

    def get_recording(self, customer) -> bool:
        return bool(customer.pronunciation_audio)


class ArrivalSerializer(serializers.Serializer):
    """One arriving guest and what to prepare (personalization.arrivals.Arrival)."""

    stay = ArrivalStaySerializer()
    customer = ArrivalGuestSerializer()
    needs_something = serializers.BooleanField()
    vip = serializers.BooleanField()
    first_visit = serializers.BooleanField()
    safety = ArrivalSafetySerializer(many=True)
    issues = ArrivalIssueSerializer(many=True)
    delights = ArrivalDelightSerializer(many=True, help_text="What the gift rules suggest for the arrival day.")
    occasions = serializers.SerializerMethodField()
    pronunciation = serializers.SerializerMethodField()

    def get_occasions(self, arrival) -> list[dict]:
        return ArrivalOccasionSerializer(
            [{"occasion": occasion, "on": on} for occasion, on in arrival.occasions], many=True
        ).data

    def get_pronunciation(self, arrival) -> dict | None:
        return ArrivalPronunciationSerializer(arrival.customer).data if arrival.pronunciation else None


_CHECKED_IN_AT = ArrivalStaySerializer().fields["checked_in_at"]
_COST = ArrivalDelightSerializer().fields["cost"]


@lru_cache(maxsize=256)
def _cost(cost: Decimal) -> str:
    """ArrivalDelightSerializer's cost as it writes it, once per amount: a board's delights share a few costs,
    and DRF's rounding cost more than the rest of a delight's row."""
    return _COST.to_representation(cost)


def arrival_data(arrival) -> dict:
    """ArrivalSerializer(arrival).data written out as plain data: for a board of 500 guests DRF's nested
    serializers cost more than building the board (bench/run arrivals). The same keys and values (a test keeps
    the two equal); times and money go through ArrivalSerializer's own fields."""
    stay, customer = arrival.stay, arrival.customer
    return {
        "stay": {
            "id": stay.id,
            "arrival": stay.arrival.isoformat(),
            "departure": stay.departure.isoformat(),
            "nights": stay.nights,
            "room": stay.room,
            "party_size": stay.party_size,
            "status": stay.status,
            "checked_in_at": None
            if stay.checked_in_at is None
            else _CHECKED_IN_AT.to_representation(stay.checked_in_at),
        },
        "customer": {
            "id": customer.id,
            "display_name": customer.display_name,
            "tags": [str(tag) for tag in customer.tags],
            "visit_count": customer.visit_count,
        },
        "needs_something": arrival.needs_something,
        "vip": arrival.vip,
        "first_visit": arrival.first_visit,
        "safety": [
            {"id": p.id, "category": p.category, "polarity": p.polarity, "text": p.text} for p in arrival.safety
        ],
        "issues": [
            {"id": i.id, "summary": i.summary, "status": i.status, "severity": i.severity} for i in arrival.issues
        ],
        "delights": [
            {"rule_id": d.rule.pk, "gift": d.gift, "reason": d.reason, "cost": _cost(d.cost)} for d in arrival.delights
        ],
        "occasions": [{"occasion": occasion, "on": on.isoformat()} for occasion, on in arrival.occasions],
        "pronunciation": {
            "respelling": customer.pronunciation,
            "ipa": customer.pronunciation_ipa,
            "recording": bool(customer.pronunciation_audio),
        }
        if arrival.pronunciation
        else None,
    }
