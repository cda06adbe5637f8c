"""What makes a guest findable (search terms) and what keeps merges undoable."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from crm.models.customers import Customer
from crm.models.tenancy import Organization


class TermKind(models.IntegerChoices):
    # A Han name's inner part, neither the whole name, its given name nor its family name (丽 of 郝光丽, 阳娜娜 of
    # 欧阳娜娜): found, after the guests whose given name it is (the index orders kind DESC).
    NAME_PART = 0, _("part of a name")
    NAME = 1, _("name")  # folded Latin word, pinyin, or simplified Han
    PHONETIC = 2, _("phonetic")  # "~" + metaphone code
    EMAIL = 3, _("email")  # "@" + the whole email
    PHONE = 4, _("phone")  # "#" + digits reversed
    FULL_NAME = 5, _("full name")  # the whole name as one key (zhangwei, 张伟): found, and compared for duplicates
    EMAIL_LOCAL = 6, _("email local part")  # "@" + the part before the @
    PREFIX = 7, _("prefix")  # "^" + the first few characters of a name or email term (crm.lookup.terms.prefix_keys)
    # "=" + birthday month-day + a full name (=3-14 zhangwei): what an import matches "the same full name with the
    # same birthday" by, one index probe (crm.lookup.terms.birthday_term); never a lookup's answer.
    NAME_BIRTHDAY = 8, _("name and birthday")


class SearchTerm(models.Model):
    """One normalized way to find a customer, kept in step by the customer services
    (crm.lookup.terms) and rebuilt by `manage.py rebuild_search_terms`."""

    # No index of its own: searchterm_org_term_recent leads with it. Neither it nor the customer has a constraint
    # in the database: a term is derived from its customer by the one module that writes terms (crm.lookup.terms,
    # in the transaction that writes the customer), and each constraint cost every new term a check at commit,
    # ~20 a guest an import creates (README, Design, "Search terms"). Django still deletes an organization's and
    # a customer's terms with them (on_delete is Django's).
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    # Indexed by searchterm_customer_term below, which leads with it.
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="search_terms", db_index=False, db_constraint=False
    )
    # On PostgreSQL the column is COLLATE "C" (migration 0002): byte order, so a prefix is a
    # btree range (term >= 'q' AND term < 'q' || U+10FFFF), the same comparison SQLite makes.
    term = models.CharField(max_length=100)
    kind = models.PositiveSmallIntegerField(choices=TermKind.choices)
    # The customer's last_seen, copied so that the index hands out namesakes most recent first
    # (crm.lookup.terms.visits_copy keeps it in step within seconds of a contact; the cost is measured there).
    last_seen = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # Lookup: SELECT customer_id, term, kind, last_seen WHERE organization_id = %s AND term = %s
            # ORDER BY kind DESC, last_seen DESC NULLS LAST, customer_id DESC LIMIT 20: a surname held by
            # 70,000 guests reads 20 entries (a full name, kind 5, before a part of one, kind 1); prefix
            # ranges (term > %s AND term < %s) read it in term order. Index-only: no heap visit per term.
            # On PostgreSQL last_seen is DESC NULLS LAST (migration 0019 writes it; SQLite refuses the clause in
            # an index and puts NULLs last in DESC by itself).
            models.Index(
                F("organization"),
                F("term"),
                F("kind").desc(),
                F("last_seen").desc(),
                F("customer").desc(),
                name="searchterm_org_term_recent",
            ),
            # One customer's terms: re-indexing one customer (DELETE ... WHERE customer_id = %s), and the lookup's
            # probes of a candidate — "does this guest also hold a term starting with j?" (the recency walk, the
            # every-word check, the winners' terms) — answered from the index alone: a range of one customer's
            # ~10 entries, no heap visit (kind and last_seen ride along on PostgreSQL; SQLite has no INCLUDE).
            models.Index(fields=["customer", "term"], include=["kind", "last_seen"], name="searchterm_customer_term"),
        ]

    def __str__(self) -> str:
        return self.term


class SearchTermVisit(models.Model):
    """A guest whose last visit moved and is not yet copied into their search terms' last_seen: written by the
    contact-logging service in its transaction (one row, however many contacts), copied and deleted within seconds
    by crm.lookup.terms.visits_copy (beat). A plain id, no foreign key: a guest erased meanwhile leaves a row that
    the copy finds nothing for, and drops."""

    customer_id = models.BigIntegerField(primary_key=True)

    def __str__(self) -> str:
        return str(self.customer_id)


class NameWord(models.Model):
    """The vocabulary the typo stage corrects a typed word against (crm.lookup.vocabulary): every folded word of the
    organization's guests' names, on its own row (key = word) with how many guests hold it, and on one row for each
    string left when one or two of its letters are deleted (key = that string, guests 0). Kept in step by the
    services that write the search terms."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_index=False)
    key = models.CharField(max_length=20)
    word = models.CharField(max_length=20)
    guests = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            # The typo stage: WHERE organization_id = %s AND key = ANY(the typed words' deletions), from the index
            # alone; then each candidate's own row (key = word = %s) for its count. Also the upserts' conflict.
            models.UniqueConstraint(fields=["organization", "key", "word"], name="nameword_org_key_word"),
        ]

    def __str__(self) -> str:
        return self.word


class Merge(models.Model):
    """A duplicate profile folded into the kept one: what moved where, so it can be undone."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    kept = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="merges_kept")
    duplicate = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="merges_absorbed")
    # {"app_label.model": [pk, ...]}: every row that pointed at the duplicate and now points at kept.
    moved = models.JSONField(default=dict)
    # The kept profile's fields that the merge filled from the duplicate, with their old values.
    filled = models.JSONField(default=dict)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    merged_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("merge")
        verbose_name_plural = _("merges")
        ordering = ["-merged_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(kept=models.F("duplicate")), name="merge_not_into_itself"),
        ]

    def __str__(self) -> str:
        return f"#{self.duplicate_id} → #{self.kept_id}"
