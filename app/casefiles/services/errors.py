"""Errors of the case-file services: a message for the person and the HTTP status it maps to."""

from __future__ import annotations


class CaseFileError(Exception):
    """Refused before anything was stored; `field` names the form field when there is one."""

    status = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class CaseFileForbidden(CaseFileError):
    """The user may see the case file but not do this to it (403)."""

    status = 403


class CaseFileConflict(CaseFileError):
    """Not possible in the case file's current state, e.g. editing an approved file (409)."""

    status = 409


class ExportError(CaseFileError):
    """The export could not be completed; nothing was delivered."""

    status = 409
