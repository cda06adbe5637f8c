"""Demo gift rules, added when crm's seed_demo has loaded the demo organization (crm.signals.demo_seeded).

"Birthday dessert" is left for the manager to create in the walk-through (README); the demo guests include
birthdays in the coming week, computed when the demo is seeded.
"""

from __future__ import annotations

from decimal import Decimal

from django.dispatch import receiver
from django.utils import timezone

from crm.models import Organization
from crm.signals import demo_seeded
from personalization.gifts.services import gift_rule_create
from personalization.models import GiftRule

DEMO_RULES = [
    {
        "name": "Their usual drink on the house",
        "trigger": "first_visit",
        "gift": "{favorite_drink} on the house",
        "cost": Decimal("4.00"),
        "monthly_budget": Decimal("40.00"),
        "priority": 1,
    },
    {
        "name": "Tenth visit thank-you",
        "trigger": "nth_visit",
        "visit_number": 10,
        "gift": "A handwritten card and a box of pastries for {preferred_name}",
        "cost": Decimal("12.00"),
    },
    {
        "name": "After a serious complaint",
        "trigger": "issue_resolved",
        "min_severity": "high",
        "gift": "Dessert on us, with the manager's apology",
        "cost": Decimal("8.00"),
        "monthly_budget": Decimal("80.00"),
        "priority": 2,
    },
    {
        "name": "Welcome back after a long absence",
        "trigger": "return_after_absence",
        "absence_days": 180,
        "gift": "A welcome-back {favorite_drink}",
        "cost": Decimal("4.00"),
        "monthly_budget": Decimal("20.00"),
    },
]


@receiver(demo_seeded, dispatch_uid="personalization.gifts.demo_rules")
def add_demo_rules(sender, organization: Organization, **kwargs) -> None:
    """Idempotent: a rule of the same name is left as the manager last saved it."""
    existing = set(GiftRule.objects.filter(organization=organization).values_list("name", flat=True))
    for fields in DEMO_RULES:
        if fields["name"] not in existing:
            gift_rule_create(organization=organization, **fields)


@receiver(demo_seeded, dispatch_uid="personalization.demo_survey_answer")
def add_demo_survey_answer(sender, organization: Organization, **kwargs) -> None:
    """张伟's answer to the survey of his resolved complaint: the follow-up went out, and he gave it 4 of 5 with a
    comment. Idempotent: once answered, left as it is."""
    from crm.models import Customer, IssueStatus
    from personalization.models import Feedback, Touch, TouchKind, TouchStatus
    from personalization.touches.services.manual import feedback_record

    guest = Customer.objects.filter(organization=organization, native_name="张伟", merged_into__isnull=True).first()
    if guest is None or Feedback.objects.filter(customer=guest).exists():
        return
    touch = Touch.objects.filter(
        customer=guest, kind=TouchKind.ISSUE_FOLLOW_UP, issue__status=IssueStatus.RESOLVED
    ).first()
    if touch is None:
        return
    # The follow-up is shown as sent (the demo does not wait the two days): a status change of the demo's own.
    Touch.objects.filter(pk=touch.pk).update(status=TouchStatus.SENT, sent_at=timezone.now())
    feedback_record(touch=touch, score=4, comment="房间换得很快，谢谢。不过空调的问题第一次就该解决。")
