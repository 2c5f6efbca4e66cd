"""Errors of the case-file services: a message for the person and the HTTP status it maps to."""

from __future__ import annotations

from app.service_errors import ServiceError


class CaseFileError(ServiceError):
    """Refused before anything was stored; `field` names the form field when there is one."""


class CaseFileForbidden(CaseFileError):
    """The user may see the case file but not do this to it (403)."""

    status = 403
    code = "forbidden"


class CaseFileNotFound(CaseFileError):
    """No such record in this case file: the same answer for an id from elsewhere (404)."""

    status = 404
    code = "not_found"
    shown_on_form = False


class CaseFileConflict(CaseFileError):
    """Not possible in the case file's current state, e.g. editing an approved file (409)."""

    status = 409
    code = "conflict"


class ExportError(CaseFileError):
    """The export could not be completed; nothing was delivered."""

    status = 409
    code = "conflict"
