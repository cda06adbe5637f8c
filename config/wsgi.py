import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()


def _settle() -> None:
    """Load what the first requests would load (the name dictionaries of pypinyin and OpenCC), then move every
    object alive now out of the garbage collector's sight (gc.freeze). Without it, every few requests a full
    collection walked the millions of objects of Django, the dictionaries and the URLconf: 120–300 ms added to
    one request in ten (the arrivals board's p95 was three times its p50 in bench/run arrivals)."""
    from crm.lookup import search

    for text in ("张伟", "陳靜", "Zhāng Wěi", "Siobhán O'Connor", "Bob"):
        search.analyze(text)  # no query: it only reads the text
    gc.collect()
    gc.freeze()


_settle()
