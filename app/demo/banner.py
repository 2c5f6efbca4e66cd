"""The `demo_loaded` template flag: every page says the content is fictional while the demo is in.

The database is the truth (a demo investigation exists). Each process asks it once, at the
first page it renders, and keeps the answer; it asks again only when the marker file
`<instance>/demo-loaded`, which `demo load` rewrites after every load, has changed. A page
therefore costs one stat() and no query, the count of queries per page stays the same from one
request to the next, and a load made while the server runs shows on its next page. (Another
machine sharing the database sees a demo loaded elsewhere after its next restart.)
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy.exc import SQLAlchemyError

from app.demo.presence import demo_present
from app.extensions import db

log = logging.getLogger(__name__)

MARKER_NAME = "demo-loaded"
STATE_KEY = "custos.demo_banner"


def demo_banner_context() -> dict:
    """Template context: `demo_loaded` for templates/base.html's banner."""
    return {"demo_loaded": demo_loaded(current_app)}


def marker_path(app: Flask) -> Path:
    return Path(app.instance_path) / MARKER_NAME


def _marker_stamp(app: Flask) -> int | None:
    try:
        return marker_path(app).stat().st_mtime_ns
    except FileNotFoundError:
        return None


def demo_loaded(app: Flask) -> bool:
    stamp = _marker_stamp(app)
    state = app.extensions.get(STATE_KEY)
    if state is not None and state["stamp"] == stamp:
        return state["loaded"]
    try:
        # Its own connection, not the request's session: an error page rendered after a
        # failed transaction must still render, and this must not touch that transaction.
        with db.engine.connect() as connection:
            loaded = demo_present(connection)
    except SQLAlchemyError as exc:
        # Database unreachable: the page itself says so. Not remembered: ask again next page.
        log.warning("demo banner check failed (%s)", type(exc).__name__)
        return bool(state and state["loaded"])
    app.extensions[STATE_KEY] = {"stamp": stamp, "loaded": loaded}
    return loaded


def mark_demo_loaded(app: Flask, note: str) -> None:
    """After a load: rewrite the marker so every process of this instance asks again."""
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    marker_path(app).write_text(
        f"{stamp} {note}\n"
        "Pages ask the database whether the demo is loaded whenever this file changes.\n",
        encoding="utf-8",
    )
    app.extensions.pop(STATE_KEY, None)
