"""Errors of the intake services, with named codes the web forms and the JSON API both report."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from flask import has_request_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from app.service_errors import ServiceError

# One message per named error. The code is stable (API clients and tests match on it); the
# message is for the person filling the form, translated when it is shown.
MESSAGES = {
    "required": _l("This field is required."),
    "too_long": _l("This is too long."),
    "invalid_choice": _l("Choose one of the offered values."),
    "date_in_future": _l("This date is in the future."),
    "range_end_before_start": _l("The end of the time range is before its start."),
    "range_end_required": _l("A time range needs an end date."),
    "possible_duplicate": _l(
        "An incident at a place like this one, within a day of it, is already recorded (listed"
        " below). Open it to check; if this is a different incident, tick the box and save again."
    ),
    "time_required": _l("An exact or approximate time needs the time of day."),
    "uncertainty_required": _l("Say how far off the approximate time may be."),
    "uncertainty_out_of_range": _l("The margin must be between 1 minute and 24 hours."),
    "latitude_out_of_range": _l("Latitude must be between -90 and 90."),
    "longitude_out_of_range": _l("Longitude must be between -180 and 180."),
    "coordinates_incomplete": _l("Give both latitude and longitude, or neither."),
    "precision_negative": _l("Precision must be zero or more metres."),
    "negative_casualties": _l("Casualty counts cannot be negative."),
    "number_too_large": _l("This number is too large."),
    "too_many_perpetrators": _l("List at most 20 alleged perpetrators."),
    "unknown_weapon": _l("Choose a weapon type from the list."),
    "unknown_target": _l("Choose target types from the list."),
    "target_note_without_other": _l(
        "A note on the target is for “Other”: tick it, or clear the note."
    ),
    "invalid_date_of_birth": _l("Write the date of birth as YYYY, YYYY-MM or YYYY-MM-DD."),
    "unknown_witness": _l("Choose one of your witnesses."),
    "unknown_incident": _l("Choose incidents of this investigation."),
    "unknown_member": _l("Choose a member of this investigation."),
    "no_interview_consent": _l(
        "The witness has not consented to be interviewed: record their consent first."
    ),
    "transcript_required": _l("A testimony cannot be sealed without a transcript."),
    "language_required": _l("A testimony cannot be sealed without its language."),
    "unknown_language": _l("Choose languages from the list."),
    "too_many_languages": _l("Choose at most 6 languages."),
    "interpreter_unanswered": _l(
        "Say whether an interpreter was present: a testimony cannot be sealed without it."
    ),
    "interpreter_not_present": _l(
        "No interpreter was present: clear the interpreter's details, or say one was."
    ),
    "interpreter_who": _l(
        "Name the interpreter: a member of this investigation, or an external interpreter's"
        " code (not both)."
    ),
    "interpreter_identity_needs_code": _l(
        "The identity is for an external interpreter: give their code too."
    ),
    "invalid_interpreter_code": _l(
        "An interpreter's code is 1 to 32 letters, digits or dashes, for example INT-07."
    ),
    "language_pair_required": _l("Choose both languages the interpreter worked between."),
    "language_pair_same": _l("The interpreter worked between two different languages."),
    "read_back_language_required": _l("Choose the language the record was read back in."),
    "read_back_language_without_read_back": _l(
        "A read-back language is for a record that was read back: say it was, or clear it."
    ),
    "languages_not_to_fix": _l("This testimony's languages are already recorded as codes."),
    "unknown_evidence": _l("Choose one of your own uploads in this investigation."),
    "recording_kind": _l("A recording must be an audio or video file."),
    "recording_exists": _l("This interview already has a recording; attach this file instead."),
    "already_linked": _l("This file is already linked to the interview."),
    "unknown_shows": _l(
        "Say what the file shows: the attack, its aftermath, victims, the site before, a weapon"
        " remnant, or other."
    ),
    "note_required": _l("Say in the note what the file shows."),
    "already_linked_incident": _l("This file is already linked to that incident."),
    "not_linked_incident": _l("This file is not linked to that incident."),
    "not_sealed": _l("Addenda are for sealed testimony; edit the draft instead."),
    "invalid_code": _l(
        "A code is 2 to 40 lowercase letters, digits or underscores, starting with a letter."
    ),
    "code_taken": _l("This code is already in use."),
    "regrant_needs_document": _l(
        "Consent given again after a withdrawal needs the document of the new consent (a"
        " signed form or a recording uploaded to this investigation) and a second reviewer."
    ),
    "regrant_pending": _l("A re-grant of this witness's consent already waits for approval."),
    "regrant_stale": _l(
        "The witness's consent has changed since this re-grant was asked: ask again."
    ),
    "regrant_own_request": _l("You asked for this re-grant: another reviewer must decide it."),
    "regrant_not_pending": _l("This re-grant is no longer waiting (decided already)."),
    "translation_of_draft": _l(
        "Only sealed testimony can be translated: the original must be sealed first."
    ),
    "source_hash_mismatch": _l(
        "This is not the content hash of the testimony or addendum you chose to translate:"
        " reload the page and translate the sealed text it shows."
    ),
    "unknown_source": _l("Choose the testimony or one of its addenda."),
    "same_language": _l("A translation goes into another language than the one it translates."),
    "engine_required": _l("A machine translation names its engine and the engine's version."),
    "engine_without_machine": _l(
        "An engine is named for a machine translation only: choose “machine”, or clear it."
    ),
    "reviser_is_translator": _l(
        "You translated this text: a second person must revise and seal it."
    ),
    "supersedes_not_sealed": _l(
        "A corrected version replaces a sealed translation of the same text into the same language."
    ),
    "client_id_conflict": _l("This form was already used for something else; reload the page."),
    "invalid_client_id": _l("This form is damaged; reload the page."),
}


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str

    @property
    def message(self) -> str:
        """In the request's language; in English outside a request (CLI, jobs, tests)."""
        if has_request_context():
            return str(MESSAGES[self.code])
        with force_locale("en"):
            return str(MESSAGES[self.code])


class IntakeError(ServiceError):
    """Base of the errors below; `detail` (for logs and tests) is not shown to the person."""

    public_message: ClassVar[str] = "Some fields are not valid."

    def __init__(self, detail: str = "") -> None:
        super().__init__(self.public_message)
        self.detail = detail
        self.args = (detail or self.public_message,)  # str(exc) stays the detail, as before


class IntakeValidationError(IntakeError):
    """Input refused before anything was stored; `errors` name each field and why.

    A form shows it with 400; the API answers 422 with every field (app/api/errors.py).
    """

    def __init__(self, errors: list[FieldError]):
        super().__init__(", ".join(f"{e.field}: {e.code}" for e in errors))
        self.errors = errors

    @property
    def codes(self) -> set[str]:
        return {e.code for e in self.errors}

    def field_messages(self) -> list[tuple[str | None, str]]:
        return [(e.field, e.message) for e in self.errors]


class IntakePermissionError(IntakeError):
    """The user may see this record but not change it (403)."""

    status = 403
    code = "forbidden"
    shown_on_form = False
    public_message = "Your account may not change this record."


class SealedTestimonyError(IntakeError):
    """Sealed testimony never changes; corrections are addenda (409)."""

    status = 409
    code = "testimony_sealed"
    shown_on_form = False
    public_message = (
        "This testimony is sealed and cannot be changed. Add an addendum to correct it."
    )

    def __init__(self, detail: str = "sealed testimony cannot be changed; add an addendum"):
        super().__init__(detail)


class SealedTranslationError(IntakeError):
    """A sealed translation never changes; a correction is a new version that supersedes it."""

    status = 409
    code = "translation_sealed"
    shown_on_form = False
    public_message = (
        "This translation is sealed and cannot be changed. Start a corrected version instead."
    )

    def __init__(self, detail: str = "sealed translation cannot be changed; start a new one"):
        super().__init__(detail)


class UnreadableHereError(IntakeError):
    """This node holds no key to read what it stored, so it cannot continue or seal it (409)."""

    status = 409
    code = "sealed_elsewhere"
    shown_on_form = False
    public_message = (
        "This node cannot read back what it stored: the testimony is sealed to a key it does "
        "not hold. Continue or seal it on the reading node, or seal it as you save it here."
    )

    def __init__(self, detail: str = "testimony sealed to a key this node does not hold"):
        super().__init__(detail)


class ImmutableRecordError(IntakeError):
    """Consent records and addenda are written once and never updated or deleted."""

    status = 409
    code = "immutable_record"
    shown_on_form = False
    public_message = "This record is never changed."


class NumberingContention(IntakeError):
    """Too many concurrent writers took the next number; the caller may retry the request."""

    status = 503
    code = "busy"
    shown_on_form = False
    headers = {"Retry-After": "1"}
    public_message = "Too many records were being added at once; send the same request again."


def field_error(field: str, code: str) -> IntakeValidationError:
    return IntakeValidationError([FieldError(field, code)])
