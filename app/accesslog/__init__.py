"""Reads of sensitive content with a stated reason: per-object records and the access report.

Who read a witness's identity, a testimony, an evidence record or an original, when and why
(break-the-glass): one record per person, object, kind of read and hour, written before the
content is sent, shown on the object's page and gathered per investigation on the access report.
"""

from flask import Blueprint

bp = Blueprint("accesslog", __name__)

from app.accesslog import routes  # noqa: E402,F401  (registers the views)
