import gc
import os

from django.core.signals import request_finished
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()


def _settle() -> None:
    """Load what the first requests would load (every module the URLconf names, the catalogs of the three
    languages, the name dictionaries of pypinyin and OpenCC), then move every object alive now out of the garbage
    collector's sight (gc.freeze). Without it, every few requests a full collection walked the millions of objects
    of Django, the dictionaries and the URLconf: 120–300 ms added to one request in ten (the arrivals board's p95
    was three times its p50 in bench/run arrivals). The URLconf loads the views, DRF and the rest of the
    application only at the first request: left out of the freeze, its ~55,000 objects still cost 60–140 ms every
    ten boards (a board's 500 guests fill the young generations and bring on a full collection)."""
    from django.conf import settings
    from django.urls import get_resolver
    from django.utils import translation

    from crm.lookup.search.query import analyze

    for text in ("张伟", "陳靜", "Zhāng Wěi", "Siobhán O'Connor", "Bob"):
        analyze(text)  # no query: it only reads the text
    get_resolver().reverse_dict  # noqa: B018 (imports every module the URLconf names and builds its lookups)
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            translation.gettext("Arrivals")
    gc.collect()
    gc.freeze()
    # A young generation of 50,000 objects, not 700: a request's objects mostly die with it, freed by their
    # reference counts, but while the arrivals board of 500 guests was being built, 14 collections walked its live
    # rows again and again: a third of the request's CPU time (in process, median of 20 interleaved: 105 → 72 ms,
    # as fast as with no collector at all). Garbage in cycles is still collected, after 50,000 objects.
    gc.set_threshold(50_000, 10, 10)
    request_finished.connect(_collect_between_requests, dispatch_uid="rapport.collect_between_requests")


# Young objects past which the garbage is collected once a response has been sent (Django's request_finished comes
# after the server wrote the last byte), not in the middle of a request. A lookup leaves ~230 objects in reference
# cycles (DRF's serializer and its fields' parents, the request and its view, ...); left to the 50,000 threshold, one
# request in ~75 paid a collection of 16-39 ms (bench/run lookup at a million guests, 2026-12-05: the p99 of exact,
# nickname and phone 3-4x their p95). Collected here every ~8 requests, it takes ~0.7 ms between two of them (p99
# within 1.8x p95 for every kind in the same benchmark); the 50,000 still bounds one big request's young objects.
COLLECT_AFTER = 2_000


def _collect_between_requests(**_kwargs) -> None:
    if gc.get_count()[0] >= COLLECT_AFTER:
        gc.collect(1)


_settle()
