"""A guest list applied by a real Celery worker on the real Redis broker and PostgreSQL: end to end, twice (the
second creates nothing), undone; and a worker killed mid-apply: the import resumes after its last committed
batch, every row applied once."""

from __future__ import annotations

import io
import os
import signal
import subprocess

import pytest

from crm import selectors
from crm.models import Customer, GuestImport, ImportRow, ImportStatus
from crm.services import imports
from tests.conftest import REDIS_URL
from tests.crm.imports.conftest import csv_bytes
from tests.workers import broker_client, wait_until, worker_env, worker_start, worker_stop

DEADLINE = 120
pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker(monkeypatch):
    client = broker_client("rapport-import-test", REDIS_URL)
    from crm import tasks

    # The service enqueues after its commit through the app's broker; here that is the test's Redis.
    monkeypatch.setattr(tasks.import_apply, "delay", lambda pk: client.send_task("crm.import_apply", args=[pk]))
    yield client
    client.close()


@pytest.fixture
def start_worker(tmp_path):
    workers: list[subprocess.Popen] = []
    env = worker_env(tmp_path, broker=REDIS_URL)

    def start() -> subprocess.Popen:
        log = open(tmp_path / f"worker{len(workers)}.log", "w")  # noqa: SIM115 - lives as long as the worker
        workers.append(worker_start(f"imports-{os.getpid()}-{len(workers)}@localhost", env=env, log=log))
        return workers[-1]

    yield start
    for worker in workers:
        if worker.poll() is None:
            worker_stop(worker)


def _status(upload: GuestImport):
    return lambda: GuestImport.objects.get(pk=upload.pk).status in (ImportStatus.APPLIED, ImportStatus.FAILED)


def _preview(manager, data: bytes) -> GuestImport:
    return imports.import_preview(
        organization=manager.organization, actor=manager.user, file=io.BytesIO(data), property=manager.property
    )


def test_a_chinese_list_applied_by_a_real_worker_twice_then_undone(broker, start_worker, manager, chinese_csv):
    manager.property.country = "CN"
    manager.property.save()
    start_worker()
    # Given a previewed GB18030 list with Chinese headers and one bad date
    upload = _preview(manager, chinese_csv)
    assert (upload.to_create, upload.error_rows) == (2, 1)
    # when it is applied in the background
    imports.import_apply(upload=upload, actor=manager.user)
    wait_until(_status(upload), "the import applied", seconds=DEADLINE)
    upload.refresh_from_db()
    assert (upload.status, upload.done_rows, upload.created) == ("applied", 3, 2)
    # then the new guests are found by lookup
    assert selectors.customer_lookup(organization=manager.organization, q="张伟")[0].phone == "+8613800138000"
    # and the same file applied again changes nothing
    again = _preview(manager, chinese_csv)
    assert (again.to_create, again.to_update, again.unchanged) == (0, 0, 2)
    imports.import_apply(upload=again, actor=manager.user)
    wait_until(_status(again), "the second import applied", seconds=DEADLINE)
    again.refresh_from_db()
    assert (again.status, again.created, again.updated) == ("applied", 0, 0)
    assert Customer.objects.count() == 2
    # and the import is undone
    imports.import_undo(upload=upload, actor=manager.user)
    assert Customer.objects.count() == 0


def test_a_worker_killed_mid_apply_resumes_after_its_last_batch(broker, start_worker, manager, settings):
    # Given a list of four batches, applying in a worker that is killed (SIGKILL) once its first batch committed
    rows = [["Name", "Email"], *[[f"Guest {i}", f"guest{i}@example.com"] for i in range(4 * imports.BATCH)]]
    upload = _preview(manager, csv_bytes(rows))
    first = start_worker()
    imports.import_apply(upload=upload, actor=manager.user)
    wait_until(
        lambda: GuestImport.objects.get(pk=upload.pk).done_rows >= imports.BATCH, "a committed batch", seconds=DEADLINE
    )
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    upload.refresh_from_db()
    assert upload.status == ImportStatus.APPLYING and upload.done_rows < len(rows) - 1
    # what it committed is whole: the rows marked done are exactly the guests created
    assert (
        Customer.objects.count()
        == upload.done_rows
        == ImportRow.objects.filter(upload=upload).exclude(outcome="").count()
    )
    # when the stalled import is enqueued again (beat's resume_imports) and a new worker runs
    settings.RAPPORT_IMPORT_STALL_SECONDS = 0
    start_worker()
    assert imports.imports_stalled() == [upload.pk]
    broker.send_task("crm.import_apply", args=[upload.pk])
    wait_until(_status(upload), "the import resumed and applied", seconds=DEADLINE)
    # then every row was applied once
    upload.refresh_from_db()
    assert (upload.status, upload.done_rows, upload.created) == ("applied", 4 * imports.BATCH, 4 * imports.BATCH)
    assert Customer.objects.count() == 4 * imports.BATCH
