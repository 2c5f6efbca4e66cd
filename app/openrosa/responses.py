"""OpenRosa responses: the headers every answer carries and the OpenRosaResponse XML envelope.

The OpenRosa HTTP Request API asks every response for `X-OpenRosa-Version: 1.0` and a `Date`
header; the Form Submission API's answers are an `OpenRosaResponse` document
(namespace http://openrosa.org/http/response) whose message the apps show their user.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from flask import Response
from werkzeug.http import http_date

OPENROSA_VERSION = "1.0"
RESPONSE_NS = "http://openrosa.org/http/response"
XML_MIMETYPE = "text/xml"
REALM = "Custos OpenRosa"


def add_openrosa_headers(response: Response) -> Response:
    response.headers["X-OpenRosa-Version"] = OPENROSA_VERSION
    response.headers["Date"] = http_date()
    # A form or an answer about a submission is for the one device that asked.
    response.headers["Cache-Control"] = "no-store"
    return response


def xml_response(body: str, status: int = 200, headers: dict | None = None) -> Response:
    return Response(
        '<?xml version="1.0" encoding="UTF-8"?>\n' + body,
        status=status,
        mimetype=XML_MIMETYPE,
        headers=headers,
    )


def openrosa_message(
    status: int, message: str, nature: str = "", headers: dict | None = None
) -> Response:
    """An OpenRosaResponse with one message (shown by ODK Collect, KoboCollect and Tella)."""
    nature_attr = f' nature="{escape(nature)}"' if nature else ""
    body = (
        f'<OpenRosaResponse xmlns="{RESPONSE_NS}">'
        f"<message{nature_attr}>{escape(message)}</message>"
        "</OpenRosaResponse>"
    )
    return xml_response(body, status, headers)


def unauthorized(message: str) -> Response:
    """401 with the Basic challenge the apps answer with the device's credentials."""
    challenge = f'Basic realm="{REALM}", charset="UTF-8"'
    return openrosa_message(401, message, headers={"WWW-Authenticate": challenge})
