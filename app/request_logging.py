"""Structured JSON logs with a request id; messages carry ids and codes, never witness data."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
# A client-supplied id is kept only if it is short and plain, so it cannot inject into logs.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_access_log = logging.getLogger("custos.access")


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request id and safe extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context():
            entry["request_id"] = getattr(g, "request_id", None)
        for key in ("event", "reason", "method", "path", "status", "duration_ms", "user_id"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            # The exception type and where it happened; not its message, which may quote input.
            exc_type, _, tb = record.exc_info
            frames = []
            while tb is not None:
                frames.append(f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}")
                tb = tb.tb_next
            entry["exception"] = {"type": exc_type.__name__, "at": frames[-5:]}
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(app: Flask) -> None:
    """JSON lines on stderr for the app's loggers (tests keep pytest's capture handlers)."""
    # Pillow logs every EXIF tag it parses at DEBUG: the camera, capture time and GPS of a
    # witness's photo. Never below INFO, whatever LOG_LEVEL says (tests too: they prove it).
    logging.getLogger("PIL").setLevel(max(logging.INFO, logging.getLogger("PIL").level))
    if app.config.get("TESTING"):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # its lines carry full URLs


def install_request_logging(app: Flask) -> None:
    configure_logging(app)

    @app.before_request
    def assign_request_id() -> None:
        supplied = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = supplied if _SAFE_REQUEST_ID.match(supplied) else uuid.uuid4().hex
        g.request_started = time.perf_counter()
        g.request_cpu = time.thread_time()

    @app.after_request
    def log_request(response: Response) -> Response:
        request_id = getattr(g, "request_id", None)
        if request_id:
            response.headers[REQUEST_ID_HEADER] = request_id
        started = getattr(g, "request_started", None)
        if started and app.config.get("SERVER_TIMING"):
            elapsed = (time.perf_counter() - started) * 1000
            cpu = (time.thread_time() - g.request_cpu) * 1000
            response.headers["Server-Timing"] = f"app;dur={elapsed:.1f}, cpu;dur={cpu:.1f}"
        from flask_login import current_user

        _access_log.info(
            "request",
            extra={
                # The route pattern, not the concrete path: paths may hold references or tokens.
                "method": request.method,
                "path": request.url_rule.rule if request.url_rule else "<unmatched>",
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1)
                if started
                else None,
                "user_id": getattr(current_user, "id", None),
            },
        )
        return response
