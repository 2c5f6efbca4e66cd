"""Why someone reads sensitive content: a short list of reasons and free text, from a form or
the API's X-Access-Reason header ("<code>" or "<code>: <percent-encoded text>")."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

MAX_TEXT = 300
OTHER = "other"
REASONS: dict[str, object] = {
    "case_review": _l("Reviewing the case"),
    "legal_proceedings": _l("Preparing legal proceedings"),
    "witness_safety": _l("Witness safety or contact"),
    "verification": _l("Verifying the record"),
    "record_correction": _l("Correcting the record"),
    OTHER: _l("Other (say what)"),
}


class ReasonRefused(ValueError):
    """A reason that is missing, unknown, or "other" without saying what."""


@dataclass(frozen=True)
class Reason:
    code: str
    text: str = ""

    @property
    def label(self) -> str:
        return str(REASONS.get(self.code, self.code))


def reason_from(code: str | None, text: str | None) -> Reason:
    """A stated reason, or ReasonRefused saying what is wrong with it."""
    code = (code or "").strip()
    text = " ".join((text or "").split())
    if code not in REASONS:
        raise ReasonRefused(_("Choose why you need to read this."))
    if len(text) > MAX_TEXT:
        raise ReasonRefused(_("Say why in at most %(n)s characters.", n=MAX_TEXT))
    if code == OTHER and not text:
        raise ReasonRefused(_("Say what the other reason is."))
    return Reason(code, text)


def reason_from_header(value: str | None) -> Reason | None:
    """The reason an API request states in X-Access-Reason; None when it states none."""
    if value is None or not value.strip():
        return None
    code, _sep, text = value.partition(":")
    try:
        decoded = unquote(text.strip(), errors="strict")
    except UnicodeDecodeError:
        raise ReasonRefused(_("X-Access-Reason text must be percent-encoded UTF-8.")) from None
    return reason_from(code, decoded)
