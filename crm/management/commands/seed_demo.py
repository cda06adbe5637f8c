"""Demo data: one hotel group, two properties, a user per role, ~50 guests across scripts."""

from __future__ import annotations

import random
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import services, signals
from crm.models import Customer, NameOrder, Organization, Preference, Property
from crm.partial_dates import PartialDate
from crm.services.stays import stay_check_in, stay_push

ORGANIZATION = "Harbour & Hill Hotels"
PROPERTIES = [("Harbour Hotel Shanghai", "CN", "Asia/Shanghai"), ("Hill House New York", "US", "America/New_York")]
DEMO_PASSWORD = "rapport-demo"
STAFF = [
    ("frontdesk", "frontdesk", PROPERTIES[0][0]),
    ("frontdesk.ny", "frontdesk", PROPERTIES[1][0]),
    ("manager", "manager", PROPERTIES[0][0]),
    ("admin", "admin", None),
]

GUEST_COLUMNS = (
    "given_name",
    "family_name",
    "native_name",
    "preferred_name",
    "salutation",
    "language",
    "email",
    "phone",
)
GUESTS = [
    ("Wei", "Zhang", "张伟", "", "先生", "zh-hans", "zhang.wei@example.cn", "+86 138 0013 8000"),
    ("Wei", "Chang", "張偉", "David", "Mr", "zh-hant", "david.chang@example.tw", "+886 912 345 678"),
    ("Zhiwei", "Zeng", "曾志伟", "", "先生", "zh-hans", "", "+86 139 1234 5678"),
    ("Tianfang", "Shan", "单田芳", "", "先生", "zh-hans", "shan.tf@example.cn", ""),
    ("Xiaodong", "Xie", "解晓东", "", "先生", "zh-hans", "", "+86 137 0000 1111"),
    ("Na", "Li", "李娜", "Nina", "女士", "zh-hans", "li.na@example.cn", "+86 135 2222 3333"),
    ("Fang", "Wang", "王芳", "", "女士", "zh-hans", "wangfang@example.cn", ""),
    ("Jing", "Chen", "陳靜", "", "小姐", "zh-hant", "jing.chen@example.hk", "+852 9123 4567"),
    ("Yi-Chun", "Lin", "林怡君", "Yvonne", "小姐", "zh-hant", "yvonne.lin@example.tw", ""),
    ("Ka Ming", "Wong", "黃家明", "Kevin", "Mr", "zh-hant", "kevin.wong@example.hk", "+852 6123 9876"),
    ("Min", "Liu", "刘敏", "", "女士", "zh-hans", "", "+86 136 4444 5555"),
    ("Jun", "Yang", "杨军", "", "先生", "zh-hans", "yangjun@example.cn", ""),
    ("Lei", "Zhao", "赵磊", "", "先生", "zh-hans", "zhao.lei@example.cn", ""),
    ("Xiulan", "Huang", "黄秀兰", "", "女士", "zh-hans", "", "+86 131 6666 7777"),
    ("Hao", "Zhou", "周浩", "Howard", "Mr", "en", "howard.zhou@example.com", "+1 415 555 0134"),
    ("José", "Álvarez", "José Álvarez", "Pepe", "Sr.", "es", "jose.alvarez@example.es", "+34 612 345 678"),
    ("Siobhán", "O'Connor", "", "", "Ms", "en", "siobhan@example.ie", "+353 85 123 4567"),
    ("François", "Müller", "", "", "M.", "fr", "f.muller@example.fr", "+33 6 12 34 56 78"),
    ("An", "Nguyễn", "Nguyễn Văn An", "", "Mr", "vi", "an.nguyen@example.vn", "+84 912 345 678"),
    ("Zoë", "Smith", "", "", "Ms", "en", "zoe.smith@example.co.uk", "+44 7700 900123"),
    ("Robert", "Johnson", "", "Bob", "Mr", "en", "bob.johnson@example.com", "+1 212 555 0187"),
    ("Katherine", "Lee", "", "Kathy", "Dr", "en", "kathy.lee@example.com", "+1 646 555 0142"),
    ("William", "Turner", "", "Bill", "Mr", "en", "bill.turner@example.com", "+1 917 555 0199"),
    ("Elizabeth", "Brown", "", "Liz", "Ms", "en", "liz.brown@example.com", "+1 718 555 0123"),
    ("Margaret", "Davis", "", "Peggy", "Mrs", "en", "peggy.davis@example.com", ""),
    ("Jürgen", "Schmidt", "", "", "Herr", "de", "juergen.schmidt@example.de", "+49 151 23456789"),
    ("Søren", "Kjær", "", "", "Mr", "da", "soren@example.dk", ""),
    ("Chloé", "Dubois", "", "", "Mme", "fr", "chloe.dubois@example.fr", ""),
    ("Aoife", "Murphy", "", "", "Ms", "en", "aoife.murphy@example.ie", ""),
    ("Niamh", "Kelly", "", "", "Ms", "en", "niamh.kelly@example.ie", "+353 87 765 4321"),
    ("Hiroshi", "Tanaka", "田中 宏", "", "Mr", "ja", "h.tanaka@example.jp", "+81 90 1234 5678"),
    ("Ji-woo", "Park", "박지우", "", "Ms", "ko", "jiwoo.park@example.kr", ""),
    ("Priya", "Sharma", "", "", "Ms", "en", "priya.sharma@example.in", "+91 98765 43210"),
    ("Mohammed", "Al-Farsi", "", "", "Mr", "ar", "m.alfarsi@example.ae", ""),
    ("Anna", "Kowalska", "", "", "Pani", "pl", "anna.kowalska@example.pl", ""),
    ("Björn", "Andersson", "", "", "Mr", "sv", "bjorn@example.se", ""),
    ("Renée", "Fontaine", "", "", "Mme", "fr", "renee.fontaine@example.fr", ""),
    ("Michael", "O'Brien", "", "Mike", "Mr", "en", "mike.obrien@example.com", "+1 332 555 0110"),
    ("Jennifer", "Garcia", "", "Jen", "Ms", "en", "jen.garcia@example.com", ""),
    ("Richard", "Miller", "", "Dick", "Mr", "en", "r.miller@example.com", ""),
    ("Alexander", "Ivanov", "Александр Иванов", "Sasha", "Mr", "ru", "sasha.ivanov@example.ru", ""),
    ("Théo", "Lefèvre", "", "", "M.", "fr", "theo.lefevre@example.fr", ""),
    ("Mei", "Chan", "陳美", "May", "Ms", "zh-hant", "may.chan@example.hk", "+852 5123 0000"),
    ("Xin", "Guo", "郭欣", "", "女士", "zh-hans", "", "+86 150 0000 2222"),
    ("Qiang", "Sun", "孙强", "", "先生", "zh-hans", "sunqiang@example.cn", ""),
    ("Ting", "Ma", "马婷", "", "女士", "zh-hans", "ma.ting@example.cn", ""),
    ("Yu", "Hu", "胡宇", "", "先生", "zh-hans", "", ""),
    ("Hui", "Zheng", "鄭慧", "", "小姐", "zh-hant", "hui.zheng@example.tw", ""),
    ("Dong", "Xu", "徐东", "", "先生", "zh-hans", "xu.dong@example.cn", ""),
    ("Ling", "He", "何玲", "", "女士", "zh-hans", "", "+86 188 1234 0000"),
]
# How to say the names staff get wrong: (given, family) -> (respelling, note).
SAY_IT = {
    ("Zhiwei", "Zeng"): ("", "Surname 曾 is read Zēng, not céng"),
    ("Tianfang", "Shan"): ("", "Surname 单 is read Shàn"),
    ("Xiaodong", "Xie"): ("", "Surname 解 is read Xiè"),
    ("Ka Ming", "Wong"): ("", "Cantonese: Wong Ka-ming"),
    ("José", "Álvarez"): ("ho-SEH AL-vah-reth", ""),
    ("Siobhán", "O'Connor"): ("shiv-AWN oh-KON-er", "Irish: not 'see-oh-ban'"),
    ("François", "Müller"): ("frahn-SWAH MUE-ler", ""),
    ("An", "Nguyễn"): ("nwin van ahn", ""),
    ("Zoë", "Smith"): ("ZOH-ee", ""),
    ("Jürgen", "Schmidt"): ("YUR-gen", ""),
    ("Søren", "Kjær"): ("SUR-en KYAIR", ""),
    ("Chloé", "Dubois"): ("klo-AY dew-BWAH", ""),
    ("Aoife", "Murphy"): ("EE-fa", "Irish name"),
    ("Niamh", "Kelly"): ("NEEV", ""),
    ("Hiroshi", "Tanaka"): ("hee-ROH-shee", ""),
    ("Ji-woo", "Park"): ("jee-woo", ""),
    ("Priya", "Sharma"): ("PREE-yah", ""),
    ("Björn", "Andersson"): ("byurn", ""),
    ("Renée", "Fontaine"): ("ruh-NAY", ""),
    ("Richard", "Miller"): ("", "Prefers 'Richard' at work events"),
    ("Théo", "Lefèvre"): ("tay-OH", ""),
}

# The same guests entered a second time (by the booking site, by a colleague), for the duplicates screen.
DUPLICATES = [
    {"given_name": "Bob", "family_name": "Johnson", "email": "bob.johnson@example.com"},
    {"given_name": "Kathy", "family_name": "Lee", "phone": "+1 646 555 0142"},
    {"native_name": "張偉", "phone": "+886 912 345 678"},
]

PREFERENCES = [
    ("allergy", "Peanuts and tree nuts (carries an EpiPen)", "avoid"),
    ("allergy", "Shellfish", "avoid"),
    ("dietary", "Vegetarian", "likes"),
    ("dietary", "No pork", "avoid"),
    ("accessibility", "Step-free room near the lift", "likes"),
    ("drink", "Oat-milk flat white", "likes"),
    ("drink", "Jasmine tea on arrival", "likes"),
    ("drink", "Sparkling water, no ice", "likes"),
    ("room", "High floor, away from the lift", "likes"),
    ("room", "Feather pillows", "dislikes"),
    ("seating", "Quiet table by the window", "likes"),
    ("food", "Congee for breakfast", "likes"),
    ("food", "Very spicy food", "dislikes"),
    ("amenity", "Yoga mat in the room", "likes"),
    ("communication", "WeChat rather than email", "likes"),
]
ISSUES = [
    ("Air conditioning noisy in room 1204", "high", "resolved", "Moved to 1508; engineer replaced the fan"),
    ("Breakfast order arrived cold", "medium", "open", ""),
    ("Charged twice for the minibar", "medium", "in_progress", ""),
    ("Waited 25 minutes at check-in", "low", "resolved", "Apologized; complimentary late check-out"),
]


class Command(BaseCommand):
    help = "Load demo data (idempotent): an organization, two properties, staff per role, ~50 guests."

    def handle(self, *args, **options):
        # The demo logins share one published password (admin/rapport-demo): never on a real deployment.
        if not settings.DEBUG:
            raise CommandError(
                _("seed_demo loads demo logins with a published password and runs only with DEBUG=true.")
            )
        for username, role, property_name in STAFF:
            services.staff_upsert(
                username=username,
                password=DEMO_PASSWORD,
                organization_name=ORGANIZATION,
                property_name=property_name,
                role=role,
            )
        organization = Organization.objects.get(name=ORGANIZATION)
        for name, country, tz in PROPERTIES:
            Property.objects.filter(organization=organization, name=name).update(country=country, timezone=tz)
        self._tips(organization)
        if Customer.objects.filter(organization=organization).exists():
            self.stdout.write("Demo guests already loaded.")
        else:
            self._guests(organization)
        signals.demo_seeded.send(sender=type(self), organization=organization)
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password '{DEMO_PASSWORD}'):"))
        for username, role, property_name in STAFF:
            self.stdout.write(f"  {username:<14} {role:<10} {property_name or ORGANIZATION}")

    @transaction.atomic
    def _guests(self, organization: Organization) -> None:
        rng = random.Random(20261122)  # the same demo every time
        properties = list(organization.properties.order_by("name"))
        now = timezone.now()
        today = timezone.localdate()
        for index, row in enumerate(GUESTS):
            guest = dict(zip(GUEST_COLUMNS, row, strict=True))
            respelling, note = SAY_IT.get((guest["given_name"], guest["family_name"]), ("", ""))
            language = guest["language"]
            # Every fifth guest has a birthday within the coming week, for the delight demos.
            soon = today + timedelta(days=index % 7)
            birthday = (
                PartialDate(month=soon.month, day=soon.day, year=1970 + index)
                if index % 5 == 0
                else PartialDate(month=rng.randint(1, 12), day=rng.randint(1, 28))
                if index % 3
                else None
            )
            customer = services.customer_create(
                organization=organization,
                **guest,
                pronunciation=respelling,
                pronunciation_note=note,
                birthday=birthday,
                name_order=NameOrder.FAMILY_FIRST if language.startswith(("zh", "ja", "ko")) else NameOrder.GIVEN_FIRST,
                tags=rng.sample(["vip", "business", "family", "runner", "foodie", "long-stay"], k=rng.randint(0, 2)),
                consent_marketing=rng.random() < 0.5,
                home_property=properties[index % len(properties)],
            )
            picked = rng.sample(PREFERENCES, k=rng.randint(1, 4))
            visits = rng.randint(0, 6)
            if index == 0:  # the flagship guest's story is told by hand (below); the draws keep the others'
                for _pick in picked:
                    rng.choice(["customer", "customer", "staff", "inferred"])
                for _visit in range(visits):
                    rng.randint(5, 700), rng.choice(["arrival", "visit"]), rng.choice(properties), rng.random()
                self._zhang_wei(customer, properties[0], now)
                continue
            for category, text, polarity in picked:
                services.preference_record(
                    customer=customer,
                    category=category,
                    text=text,
                    polarity=polarity,
                    source=rng.choice(["customer", "customer", "staff", "inferred"]),
                    property=properties[index % len(properties)],
                )
            for visit in range(visits):
                when = now - timedelta(days=rng.randint(5, 700), hours=visit)
                services.contact_log(
                    customer=customer,
                    kind=rng.choice(["arrival", "visit"]),
                    occurred_at=when,
                    property=rng.choice(properties),
                    greeted_by_name=rng.random() < 0.7,
                )
            if index % 6 == 1:
                self._issue(customer, index, rng, properties, now)
        for fields in DUPLICATES:
            duplicate = services.customer_create(organization=organization, **fields)
            services.contact_log(
                customer=duplicate, kind="visit", occurred_at=now - timedelta(days=rng.randint(30, 90))
            )
        self._arrivals(organization, properties[0], now)

    def _arrivals(self, organization: Organization, shanghai: Property, now) -> None:
        """Today's arrivals at Shanghai, as a PMS would have pushed them: 张伟 (four nights: his birthday falls in
        them) and four more guests of the demo, one already checked in, for the arrivals board."""
        today = now.astimezone(shanghai.zone()).date()
        guests = list(Customer.objects.filter(organization=organization, home_property=shanghai).order_by("pk")[:5])
        for number, (guest, room, nights) in enumerate(
            zip(guests, ("1508", "0812", "1106", "2201", "0305"), (4, 1, 3, 2, 4), strict=False), start=1
        ):
            stay, _created = stay_push(
                organization=organization,
                system="demo-pms",
                external_id=f"R-{number:04d}",
                customer=guest,
                property=shanghai,
                arrival=today,
                departure=today + timedelta(days=nights),
                room=room,
                party_size=1 + number % 2,
            )
            if number == 5:
                stay_check_in(stay=stay)

    def _zhang_wei(self, customer: Customer, shanghai: Property, now) -> None:
        """The flagship guest, 张伟 of Shanghai: a VIP with things to recall, one of them not confirmed for over a
        year ("still true?"), the peanut allergy he told us about himself, a birthday this week, three earlier
        stays, a complaint resolved (which his survey answer is about) and one still open."""
        today = now.astimezone(shanghai.zone()).date()
        birthday = today + timedelta(days=3)
        services.customer_update(
            customer=customer,
            tags=["vip", "business"],
            birthday=PartialDate(month=birthday.month, day=birthday.day, year=1982),
            consent_marketing=True,
        )
        recall = [
            ("allergy", "Peanuts and tree nuts (carries an EpiPen)", "avoid", "customer", 2),
            ("drink", "Jasmine tea on arrival", "likes", "customer", 3),
            ("room", "High floor, away from the lift", "likes", "staff", 2),
            ("seating", "Quiet table by the window", "likes", "customer", 1),
            ("communication", "WeChat rather than email", "likes", "customer", 0),
        ]
        for category, text, polarity, source, confirmed in recall:
            preference = services.preference_record(
                customer=customer, category=category, text=text, polarity=polarity, source=source, property=shanghai
            )
            for _time in range(confirmed):
                services.preference_confirm(preference=preference)
        stale = services.preference_record(
            customer=customer, category="amenity", text="Yoga mat in the room", source="staff", property=shanghai
        )
        # A memory last confirmed 14 months ago, so the card asks "still true?" (a demo's backdating: no service
        # writes a past confirmation).
        Preference.objects.filter(pk=stale.pk).update(last_confirmed_at=now - timedelta(days=425))
        # His last stay ended two days ago: the most recent of the namesakes 张伟 / 張偉, so first in the lookup.
        for days in (410, 200, 5):
            arrival = now - timedelta(days=days)
            services.contact_log(customer=customer, kind="arrival", occurred_at=arrival, property=shanghai)
            services.contact_log(
                customer=customer, kind="departure", occurred_at=arrival + timedelta(days=3), property=shanghai
            )
        resolved = services.issue_open(
            customer=customer,
            summary="Air conditioning noisy in room 1204",
            severity="high",
            property=shanghai,
            opened_at=now - timedelta(days=199),
        )
        services.issue_update(issue=resolved, status="resolved", resolution="Moved to 1508; engineer replaced the fan")
        services.issue_open(
            customer=customer,
            summary="Charged twice for the minibar",
            severity="medium",
            property=shanghai,
            opened_at=now - timedelta(days=2, hours=1),
        )

    def _tips(self, organization: Organization) -> None:
        # Insider tips live in personalization; the demo is the one place that seeds both apps.
        from django.apps import apps

        tip = apps.get_model("personalization", "Tip")
        shanghai = organization.properties.get(name=PROPERTIES[0][0])
        for text, tags, at in [
            ("Riverside running route: 5 km along the Bund, best before 7 a.m.", ["runner"], shanghai),
            ("The quiet table by the window on the 2nd floor of the tea house next door", ["seating", "drink"], None),
            ("Xiaolongbao at the stall behind the hotel, ask for the crab ones", ["foodie", "food"], shanghai),
        ]:
            tip.objects.get_or_create(organization=organization, text=text, defaults={"tags": tags, "property": at})

    def _issue(self, customer, index, rng, properties, now) -> None:
        summary, severity, status, resolution = ISSUES[(index // 6) % len(ISSUES)]
        issue = services.issue_open(
            customer=customer,
            summary=summary,
            severity=severity,
            property=properties[index % len(properties)],
            opened_at=now - timedelta(days=rng.randint(1, 20)),
        )
        if status != "open":
            services.issue_update(issue=issue, status=status, resolution=resolution)
