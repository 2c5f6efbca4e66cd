"""Warming a web worker before it serves: templates compiled, locale data and mappers loaded.

Without it the first visitor of each page in a fresh worker pays for compiling that page's
templates, loading the locale data of their language and configuring the ORM mappers
(docs/performance.md, "Pages": the first incidents list took 0.6 s where later ones take
60 ms), and every full garbage collection walks all of that again. gunicorn.conf.py calls
`warm_up` once in each worker, before its first request.
Nothing here reads or writes the database or the instance's files.
"""

from __future__ import annotations

import gc
import logging
import time
from datetime import date, datetime

from flask import Flask

log = logging.getLogger(__name__)
TEMPLATE_SUFFIXES = (".html", ".txt", ".xml", ".svg")


def warm_up(app: Flask) -> float:
    """Compile every template and load what the pages' languages need; returns the seconds."""
    started = time.perf_counter()
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
