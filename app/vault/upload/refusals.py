"""Why an upload was not accepted: IntakeRefused (a file) and UploadProblem (a tus request)."""

from __future__ import annotations

from app.service_errors import ServiceError

# HTTP status for each refusal: the client's request was wrong (4xx), never a server error.
STATUS_BY_CODE = {
    "bad_filename": 400,
    "empty_file": 400,
    "size_mismatch": 400,
    "incomplete": 400,
    "bad_request": 400,
    "bad_incident_link": 400,  # the incident chosen for an upload (app/vault/incident_links.py)
    "too_large": 413,
    "image_too_large": 422,
    "type_not_allowed": 415,
}


class IntakeRefused(ServiceError):
    """A file refused at intake; nothing of it is stored.

    `code` is a stable short string for programs ("type_not_allowed", "too_large", ...);
    `message` is for the person uploading. Neither ever quotes the file's name or bytes.
    """

    def __init__(self, code: str, message: str) -> None:
        if code not in STATUS_BY_CODE:
            raise ValueError(f"unknown refusal code {code!r}")
        super().__init__(message)
        self.code = code
        self.status = STATUS_BY_CODE[code]


class UploadProblem(Exception):
    """A tus request that cannot be applied; status and message go back to the client."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
