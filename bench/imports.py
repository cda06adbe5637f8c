"""bench/run import: a generated guest list of N rows (default 100,000; names in several scripts, bench/dataset.py),
10 % of them already known, previewed and applied by the service the worker runs (crm.services.imports.import_run,
in this process, so the broker's latency is not counted), with search terms built. The floor, in the same run:
PostgreSQL's own COPY of the same file into a bare table, three times interleaved (before the preview, between
preview and apply, after the apply), the median taken; and a second floor, the rows the apply wrote copied by
PostgreSQL into tables with the same indexes (rows_copy_floor). Peak RSS is this process's (the preview streams the
file, the apply reads 1,000 rows per batch). Prints "name value unit" lines. Its own database
(BENCH_IMPORT_DATABASE_URL)."""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import statistics
import tempfile
import time

import bench.boot  # noqa: F401  (Django set up for the imports below)

# isort: split
from django.db import connection, transaction

from bench.dataset import person
from bench.measure import line
from bench.setup import bench_staff, ensure_database
from crm import selectors
from crm.models import ChangeRecord, Customer, ExternalId, GuestImport, ImportRow, NameWord, Organization, SearchTerm
from crm.services import imports

HEADERS = ["Guest ID", "First name", "Last name", "姓名", "Email", "Mobile", "Birthday", "Allergies", "Tags"]
SEED = 20261202


def _row(rng: random.Random, i: int) -> list[str]:
    p = person(rng, i)
    birthday = f"{1950 + i % 50}-{1 + i % 12:02d}-{1 + i % 28:02d}" if i % 3 else ""
    return [
        f"P{i:07d}",
        p["given_name"],
        p["family_name"],
        p["native_name"],
        p.get("email", ""),
        p.get("phone", ""),
        birthday,
        "peanuts" if i % 20 == 0 else "",
        "vip" if i % 10 == 0 else "",
    ]


def write_file(path: str, rows: int, *, start: int = 0) -> None:
    """The guest list, written as generated (never held whole)."""
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for i in range(start, start + rows):
            writer.writerow(_row(random.Random(SEED * 1_000_003 + i), i))


def copy_floor(path: str) -> float:
    """PostgreSQL's own COPY of the file into a bare table (no index, no constraint): the floor."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_import_floor")
        cursor.execute("CREATE TABLE bench_import_floor (" + ", ".join(f"c{i} text" for i in range(len(HEADERS))) + ")")
    started = time.perf_counter()
    with (
        connection.cursor() as cursor,
        open(path, "rb") as handle,
        cursor.copy("COPY bench_import_floor FROM STDIN (FORMAT csv, HEADER true)") as copy,
    ):
        while chunk := handle.read(1 << 20):
            copy.write(chunk)
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_import_floor")
    return elapsed


# The tables the apply writes rows into (the vocabulary's few hundred name words left out).
WRITTEN = (Customer, SearchTerm, ExternalId, ChangeRecord, ImportRow)


def rows_copy_floor(last: dict) -> tuple[dict[str, int], float]:
    """The second floor: the rows the apply wrote (the tables' rows past each one's last id before it), copied by
    PostgreSQL from files on its own side into new tables with the same columns, indexes and checks — no foreign
    key, no Python, no network —, in one transaction. What writing these rows into these indexes costs the database
    alone, where copy_floor is the file's rows into one bare table (one row a guest, no index; the apply writes
    ~26). The import's rows, which the apply updates in place, are not among them. Measured once, after the apply.
    Returns the rows of each table and the seconds."""
    folder = tempfile.mkdtemp(prefix="bench-import-rows-")
    os.chmod(folder, 0o777)  # the server writes the files
    tables = [(model._meta.db_table, os.path.join(folder, model._meta.db_table)) for model in WRITTEN]
    rows = {}
    with connection.cursor() as cursor:
        for (table, path), model in zip(tables, WRITTEN, strict=True):
            cursor.execute(f"COPY (SELECT * FROM {table} WHERE id > {int(last[model])}) TO '{path}'")  # noqa: S608
            rows[table] = cursor.rowcount
            cursor.execute(f"DROP TABLE IF EXISTS bench_floor_{table}")
            cursor.execute(f"CREATE TABLE bench_floor_{table} (LIKE {table} INCLUDING ALL)")
        started = time.perf_counter()
        with transaction.atomic():
            for table, path in tables:
                cursor.execute(f"COPY bench_floor_{table} FROM '{path}'")
        seconds = time.perf_counter() - started
        for table, path in tables:
            cursor.execute(f"DROP TABLE bench_floor_{table}")
            os.remove(path)
    os.rmdir(folder)
    return rows, seconds


def vacuum_analyze() -> None:
    with connection.cursor() as cursor:
        for model in (Customer, SearchTerm, NameWord, ExternalId, ChangeRecord, ImportRow, GuestImport):
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def run(path: str, organization: Organization, staff) -> GuestImport:
    with open(path, "rb") as handle:
        return imports.import_preview(organization=organization, actor=staff.user, file=handle, filename=path)


def main(rows: int) -> None:
    ensure_database()
    staff = bench_staff("bench_import", "Import bench hotels", role="manager")
    organization = staff.organization
    Customer.objects.filter(organization=organization).delete()
    # The vocabulary with them: left, every run's import found its words there already and wrote fewer rows.
    NameWord.objects.filter(organization=organization).delete()
    GuestImport.objects.filter(organization=organization).delete()
    # Autovacuum is off on these machines: without this, every run's guests stay behind as dead rows that the
    # next run's index scans wade through (a million dead search terms after a few runs).
    vacuum_analyze()
    with tempfile.TemporaryDirectory() as folder:
        known, full = os.path.join(folder, "known.csv"), os.path.join(folder, "guests.csv")
        write_file(known, rows // 10)  # the first 10 % of the list, already known
        write_file(full, rows)
        line("import_file_mb", os.path.getsize(full) / 1e6, "MB")
        upload = run(known, organization, staff)
        imports.import_apply(upload=upload, actor=staff.user)
        imports.import_run(import_id=upload.pk)
        line("import_known_guests", Customer.objects.filter(organization=organization).count(), "rows")
        vacuum_analyze()  # what autovacuum does after the first import into empty tables
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        floors = [copy_floor(full)]
        started, cpu = time.perf_counter(), time.process_time()
        upload = run(full, organization, staff)
        line("import_preview_seconds", time.perf_counter() - started, "s")
        # This process's CPU (the Python side, PostgreSQL's not counted): steadier than the wall time on a machine
        # shared with other runs.
        line("import_preview_cpu_seconds", time.process_time() - cpu, "s")
        floors.append(copy_floor(full))
        imports.import_apply(upload=upload, actor=staff.user)
        last = {model: model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0 for model in WRITTEN}
        started, cpu = time.perf_counter(), time.process_time()
        assert imports.import_run(import_id=upload.pk)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        floors.append(copy_floor(full))
        peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        written, rows_floor = rows_copy_floor(last)
        upload.refresh_from_db()
        floor = statistics.median(floors)
        line("import_rows", upload.rows, "rows")
        line("import_created", upload.created, "rows")
        line("import_updated", upload.updated, "rows")
        line("import_unchanged", upload.done_rows - upload.created - upload.updated - upload.error_rows, "rows")
        line("import_error_rows", upload.error_rows, "rows")
        line("import_seconds", elapsed, "s")
        line("import_cpu_seconds", cpu, "s")
        line("import_rows_per_second", upload.rows / elapsed, "rows/s")
        line("copy_seconds", floor, "s")
        line("import_vs_copy", elapsed / floor, "x")
        for table, count in written.items():
            line(f"import_written_{table}", count, "rows")
        line("import_written_rows", sum(written.values()), "rows")
        line("rows_copy_seconds", rows_floor, "s")
        line("import_vs_rows_copy", elapsed / rows_floor, "x")
        line("import_search_terms", SearchTerm.objects.filter(organization=organization).count(), "rows")
        sample = Customer.objects.filter(organization=organization).exclude(native_name="").order_by("-pk").first()
        found = selectors.customer_lookup(organization=organization, q=sample.native_name)
        line("import_lookup_finds_new_guest", float(any(c.pk == sample.pk for c in found)), "bool")
        line("import_rss_before_mb", rss_before, "MB")
        line("import_peak_rss_mb", peak_rss, "MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    main(parser.parse_args().rows)
