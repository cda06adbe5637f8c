from django.core.management.base import BaseCommand, CommandError

from crm.webhooks.services import webhook_secrets_reencrypt


class Command(BaseCommand):
    help = (
        "Encrypt every secret kept in the database (the webhooks') again under the first key of "
        "RAPPORT_FIELD_KEYS, after putting a new key first: then the older keys can be removed."
    )

    def handle(self, *args, **options):
        rewritten, undecryptable = webhook_secrets_reencrypt()
        self.stdout.write(self.style.SUCCESS(f"Encrypted {rewritten} webhook secrets under the first key."))
        if undecryptable:
            raise CommandError(
                f"{len(undecryptable)} webhook secrets (endpoints {', '.join(map(str, undecryptable))}) cannot be "
                "decrypted with any key of RAPPORT_FIELD_KEYS: keep the old keys, or rotate those webhooks' secrets."
            )
