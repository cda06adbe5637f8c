"""Migrations 0031 and 0032: the terms of guests whose Han name is written with a space are written again, split there;
those of Japanese and Korean guests, without pinyin."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.models import F

from crm.models import TermKind

BEFORE, AFTER = [("crm", "0030_name_birthday_terms")], [("crm", "0031_han_names_split_where_written")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_splits_the_names_written_with_a_space_where_written(migrate):
    apps = migrate(BEFORE)
    try:
        organization, customer, term = _old_hotel(apps)
        tanaka = customer.objects.create(organization=organization, native_name="田中 直樹")
        wang = customer.objects.create(organization=organization, native_name="王芳")
        # Given the terms the earlier split wrote: 田 as a family name, 中直树 as a given name
        for guest, terms in ((tanaka, ["田", "中直树", "田中直树"]), (wang, ["王", "芳", "王芳"])):
            term.objects.bulk_create(
                term(organization=organization, customer=guest, term=text, kind=TermKind.NAME) for text in terms
            )
        # When the migration runs
        apps = migrate(AFTER)
        kinds = {
            guest: dict(
                apps.get_model("crm", "SearchTerm").objects.filter(customer_id=guest.pk).values_list("term", "kind")
            )
            for guest in (tanaka, wang)
        }
        # Then 田中 直樹 holds 田中 and 直树 as his names, 田 no more; a name written without a space is left alone
        assert kinds[tanaka]["田中"] == kinds[tanaka]["直树"] == TermKind.NAME
        assert kinds[tanaka]["田中直树"] == TermKind.FULL_NAME
        assert "田" not in kinds[tanaka]
        assert kinds[wang] == {"王": TermKind.NAME, "芳": TermKind.NAME, "王芳": TermKind.NAME}
    finally:
        migrate(MigrationLoader(connection).graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_migration_takes_the_pinyin_out_of_japanese_and_korean_guests_terms(migrate):
    apps = migrate(AFTER)
    try:
        organization, customer, term = _old_hotel(apps)
        sasaki = customer.objects.create(organization=organization, native_name="佐々木 健", language="ja")
        wang = customer.objects.create(organization=organization, native_name="王建", language="zh-hans")
        # Given the readings the earlier code wrote: 健 as jian, 佐 as zuo
        for guest, terms in ((sasaki, ["jian", "zuo", "zuozuomu"]), (wang, ["jian", "wang", "王建"])):
            term.objects.bulk_create(
                term(organization=organization, customer=guest, term=text, kind=TermKind.NAME) for text in terms
            )
        # When the migration runs
        apps = migrate([("crm", "0032_japanese_and_korean_names_unread_in_pinyin")])
        terms = {
            guest: set(
                apps.get_model("crm", "SearchTerm").objects.filter(customer_id=guest.pk).values_list("term", flat=True)
            )
            for guest in (sasaki, wang)
        }
        # Then the Japanese guest holds his characters, 々 included, and no reading; the Chinese guest is left alone
        assert {"佐々木", "健", "佐々木健"} <= terms[sasaki]
        assert not {"jian", "zuo", "zuozuomu"} & terms[sasaki]
        assert terms[wang] == {"jian", "wang", "王建"}
        # and the organization's vocabulary is counted again from its guests: 王建's readings, none of 佐々木 健's
        words = dict(
            apps.get_model("crm", "NameWord")
            .objects.filter(organization_id=organization.pk, key=F("word"))
            .values_list("word", "guests")
        )
        assert words == {"wang": 1, "jian": 1}
    finally:
        migrate(MigrationLoader(connection).graph.leaf_nodes())


def _old_hotel(apps):
    """An organization of the migration's state, with its Customer and SearchTerm models."""
    organization = apps.get_model("crm", "Organization").objects.create(name="Old Hotel Group")
    return organization, apps.get_model("crm", "Customer"), apps.get_model("crm", "SearchTerm")
