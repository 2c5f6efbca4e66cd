"""A submission POST as a request: its size limit, its multipart boundary, its body read once.

The limit is what HEAD announces in `X-OpenRosa-Accept-Content-Length` (the Form Submission
API's pre-flight): a POST that declares more is refused (413) before a byte is read, and one
sent chunked is cut off, with nothing of the file it was in stored, once it passes the limit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, request

from app.openrosa.submission_xml import SubmissionRejected
from app.openrosa.submissions import SubmissionOutcome, receive_submission
from app.vault.upload.multipart import iter_multipart_events
from app.vault.upload.request import multipart_boundary

TOO_LARGE = "The submission is larger than this server accepts in one request."


def accepted_post_bytes() -> int:
    return current_app.config["CUSTOS_OPENROSA_MAX_POST_BYTES"]


def bounded_reader(read: Callable[[int], bytes], limit: int) -> Callable[[int], bytes]:
    """read(), refusing with 413 once more than `limit` bytes have come (chunked bodies)."""
    seen = 0

    def bounded(size: int) -> bytes:
        nonlocal seen
        chunk = read(size)
        seen += len(chunk)
        if seen > limit:
            raise SubmissionRejected(TOO_LARGE, 413)
        return chunk

    return bounded


def receive_openrosa_post(investigation: Any, device: Any, user: Any) -> SubmissionOutcome:
    limit = accepted_post_bytes()
    if request.content_length is not None and request.content_length > limit:
        raise SubmissionRejected(TOO_LARGE, 413)
    boundary = multipart_boundary()
    if boundary is None:
        raise SubmissionRejected("Send the submission as multipart/form-data.", 415)
    read = bounded_reader(request.stream.read, limit)
    return receive_submission(investigation, device, user, iter_multipart_events(read, boundary))
