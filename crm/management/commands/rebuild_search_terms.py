from django.core.management.base import BaseCommand
from django.db import transaction

from crm.lookup.terms import reindex
from crm.lookup.vocabulary import vocabulary_rebuild
from crm.models import Customer, NameWord


class Command(BaseCommand):
    help = (
        "Recompute every customer's search terms, pinyin and folded search name, and the vocabulary of name words "
        "(after changing the lookup code or its data files: nicknames, surname readings)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--organization", help="only this organization (by name)")

    def handle(self, *args, organization=None, **options):
        customers = Customer.objects.order_by("pk")
        if organization:
            customers = customers.filter(organization__name=organization)
        words = {}
        count = reindex(customers.iterator(chunk_size=2000), words=words)
        with transaction.atomic():
            if not organization:  # also the organizations left without guests
                NameWord.objects.exclude(organization_id__in=list(words)).delete()
            for organization_id, counts in words.items():
                vocabulary_rebuild(organization_id, counts)
        self.stdout.write(self.style.SUCCESS(f"Re-indexed {count} customers."))
