"""Warming a web worker before it serves: templates compiled, locale data and mappers loaded.

Without it the first visitor of each page in a fresh worker pays for compiling that page's
templates, loading the locale data of their language and configuring the ORM mappers
(docs/performance.md, "Pages": the first incidents list took 0.6 s where later ones take
60 ms), and every full garbage collection walks all of that again. gunicorn.conf.py calls
`warm_up` once in each worker, before its first request.
Nothing here reads or writes the database or the instance's files.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import time
from datetime import date, datetime

from flask import Flask

log = logging.getLogger(__name__)
TEMPLATE_SUFFIXES = (".html", ".txt", ".xml", ".svg")
# glibc's mallopt(3) parameters: the size from which a block is its own mapping, and how much
# free memory at the top of the heap is kept rather than given back.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
RELEASE_FROM_BYTES = 128 * 1024


def release_large_blocks_promptly() -> bool:
    """Give intake's large buffers back to the system as soon as they are freed (glibc only).

    glibc raises its mapping threshold each time a mapped block is freed (up to 32 MiB), so
    after the first upload every 256 KiB read buffer and copy is carved from the heap, where
    fragmentation keeps it resident: about 1.5 MB of a worker's 120 MB budget
    (docs/performance.md). Setting the thresholds fixes them at glibc's defaults.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False  # not glibc (musl, macOS): nothing to tune
    return all(
        libc.mallopt(option, RELEASE_FROM_BYTES) == 1
        for option in (M_MMAP_THRESHOLD, M_TRIM_THRESHOLD)
    )


def warm_up(app: Flask) -> float:
    """Compile every template and load what the pages' languages need; returns the seconds."""
    started = time.perf_counter()
    release_large_blocks_promptly()
    from sqlalchemy.orm import configure_mappers

    configure_mappers()
    environment = app.jinja_env
    for name in environment.list_templates(filter_func=lambda n: n.endswith(TEMPLATE_SUFFIXES)):
        environment.get_template(name)
    _load_locales(app)
    # Everything loaded so far lives as long as the worker: keep it out of the cyclic garbage
    # collector's full passes, which otherwise walk it all (about 90 ms of CPU each).
    gc.collect()
    gc.freeze()
    seconds = time.perf_counter() - started
    log.info("worker warmed up in %.2f s", seconds)
    return seconds


def _load_locales(app: Flask) -> None:
    """Babel's locale data and the message catalogs of every supported language."""
    import flask_babel

    from app.i18n import display_datetime, display_number

    with app.test_request_context():
        for code in app.config.get("BABEL_SUPPORTED_LOCALES", ["en"]):
            with flask_babel.force_locale(code):
                flask_babel.gettext("Sign in")
                display_datetime(datetime(2000, 1, 1, 12, 0))
                display_datetime(date(2000, 1, 1))
                display_number(1234.5)
