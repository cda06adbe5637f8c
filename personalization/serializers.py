"""API shapes of the personalization app. The brief is built as plain data (personalization.brief);
these serializers describe it for the OpenAPI schema and validate the query parameters."""

from __future__ import annotations

from rest_framework import serializers

from crm.models import ContactKind, IssueStatus, Polarity, PreferenceCategory, Severity, Source
from personalization.models import Channel, DelightStatus, TouchKind, TouchStatus


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


class GreetSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="In the customer's language.")
    name = serializers.CharField(help_text="How to address them.")
    salutation = serializers.CharField(allow_blank=True)
    pronunciation = PronunciationSerializer()
    visit_count = serializers.IntegerField()
    last_seen = serializers.DateTimeField(allow_null=True)


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
