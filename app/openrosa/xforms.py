"""The forms a device may fill, written as ODK XForms, and the OpenRosa form list that names them.

Written directly (ODK XForms 1.0, https://getodk.github.io/xforms-spec/) rather than through
XLSForm: each form is made for one device's user at the moment it is fetched, with the
choices that user may make (the investigation's incidents, the witnesses they registered,
by pseudonym only), and its version follows those choices so the apps fetch it again when
they change. What the submission must contain is declared once here (`INTERVIEW_FIELDS`)
and read by the submission checks (app/openrosa/submission_xml.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from sqlalchemy import select

from app.extensions import db
from app.intake.models import Witness
from app.intake.models.interviews import InterviewMode
from app.intake.services.evidence_links import incident_choices
from app.intake.visibility import visible_witnesses
from app.investigations.viewer import InvestigationViewer
from app.openrosa import incident_form
from app.openrosa.form_key import form_public_key
from app.openrosa.questions import Question
from app.vault.incident_links import SHOWS_LABELS

INTERVIEW_FORM_ID = "custos_interview"
WITNESS_FORM_ID = "custos_witness"
FORMLIST_NS = "http://openrosa.org/xforms/xformsList"
MODE_LABELS = {InterviewMode.IN_PERSON.value: "In person", InterviewMode.REMOTE.value: "Remote"}
YES_NO = {"yes": "Yes", "no": "No"}
MAX_PHOTOS = 50


INTERVIEW_FIELDS = (
    Question("incident", "Incident the interview and files are about", "select1", True),
    Question("shows", "What the photos and video show", "select1", True),
    Question("witness", "Witness (pseudonym)", "select1", True),
    Question("conducted_on", "Date of the interview", "date", True),
    Question("mode", "How the interview was held", "select1", True),
    Question("first_hand", "Did the witness see it first-hand?", "select1", True),
    Question("place", "Place of the interview", "line"),
    Question("language", "Language", "line"),
    Question("transcript", "Transcript", "text"),
)
PHOTO_GROUP, PHOTO_FIELD, VIDEO_FIELD = "photos", "photo", "video"
CONSENT_PURPOSES = ("interview", "legal_proceedings", "un_sharing", "publication", "named")
# The witness's identity is typed on the phone and sent once; on the server it is sealed
# exactly as on the web (the same service). The form itself carries no identity of anyone.
WITNESS_FIELDS = (
    Question("risk_level", "Risk to the witness if identified", "select1", True),
    Question("full_name", "Full name", "line"),
    Question("date_of_birth", "Date of birth (YYYY, YYYY-MM or YYYY-MM-DD)", "line"),
    Question("contact", "Contact", "line"),
    Question("current_location", "Current location", "line"),
    *(
        Question(f"consent_{purpose}", f"Consents to: {purpose.replace('_', ' ')}", "select1", True)
        for purpose in CONSENT_PURPOSES
    ),
    Question("consent_obtained_on", "Date consent was given", "date", True),
    Question("consent_language", "Language consent was given in", "line", True),
)
RISK_LABELS = {"low": "Low", "medium": "Medium", "high": "High", "extreme": "Extreme"}


@dataclass(frozen=True)
class BuiltForm:
    form_id: str
    title: str
    version: str
    xml: bytes
    questions: tuple[Question, ...]
    choices: dict[str, dict[str, str]]
    with_media: bool
    encrypted: bool = False  # the phone encrypts what it sends (ODK encrypted forms)

    @property
    def md5(self) -> str:
        # OpenRosa Form List API: the hash is "md5:" and the MD5 of the form's bytes (a
        # change marker for the apps, not a security measure).
        return "md5:" + hashlib.md5(self.xml, usedforsecurity=False).hexdigest()


def interview_choices(viewer: InvestigationViewer) -> dict[str, dict[str, str]]:
    """The values each select question accepts for this viewer, with their labels."""
    witnesses = db.session.execute(
        visible_witnesses(select(Witness.id, Witness.code), viewer).order_by(Witness.code)
    )
    return {
        "incident": dict(incident_choices(viewer)),
        "shows": {key: str(label) for key, label in SHOWS_LABELS.items()},
        "witness": {row.id: row.code for row in witnesses},
        "mode": MODE_LABELS,
        "first_hand": YES_NO,
    }


def _build(
    form_id: str,
    title: str,
    questions: tuple[Question, ...],
    choices: dict[str, dict[str, str]],
    with_media: bool,
    public_key: str | None,
) -> BuiltForm:
    # The version follows the choices and the key, so the apps fetch the form again when
    # they change.
    version = hashlib.sha256(repr((sorted(choices.items()), public_key)).encode()).hexdigest()[:12]
    xml = _xform(form_id, title, version, questions, choices, with_media, public_key)
    return BuiltForm(
        form_id,
        title,
        version,
        xml.encode("utf-8"),
        questions,
        choices,
        with_media,
        encrypted=public_key is not None,
    )


def build_interview_form(viewer: InvestigationViewer, public_key: str | None) -> BuiltForm:
    title = "Interview with photos and video"
    choices = interview_choices(viewer)
    return _build(INTERVIEW_FORM_ID, title, INTERVIEW_FIELDS, choices, True, public_key)


def build_witness_form(public_key: str | None) -> BuiltForm:
    choices = {"risk_level": RISK_LABELS} | {f"consent_{p}": YES_NO for p in CONSENT_PURPOSES}
    title = "Witness with consent"
    return _build(WITNESS_FORM_ID, title, WITNESS_FIELDS, choices, False, public_key)


def build_incident_form(public_key: str | None) -> BuiltForm:
    choices = incident_form.incident_choices()
    return _build(
        incident_form.INCIDENT_FORM_ID,
        incident_form.INCIDENT_FORM_TITLE,
        incident_form.INCIDENT_FIELDS,
        choices,
        False,
        public_key,
    )


def _xform(
    form_id: str,
    title: str,
    version: str,
    questions: tuple[Question, ...],
    choices: dict[str, dict[str, str]],
    with_media: bool,
    public_key: str | None,
) -> str:
    instance = "".join(f"<{q.name}/>" for q in questions)
    binds = "".join(_bind(q) for q in questions)
    body = "".join(_control(q, choices.get(q.name, {})) for q in questions)
    if with_media:
        instance += f"<{PHOTO_GROUP}><{PHOTO_FIELD}/></{PHOTO_GROUP}><{VIDEO_FIELD}/>"
        binds += f'<bind nodeset="/data/{PHOTO_GROUP}/{PHOTO_FIELD}" type="binary"/>'
        binds += f'<bind nodeset="/data/{VIDEO_FIELD}" type="binary"/>'
        body += (
            f'<group ref="/data/{PHOTO_GROUP}"><label>Photos</label>'
            f'<repeat nodeset="/data/{PHOTO_GROUP}">'
            f'<upload ref="/data/{PHOTO_GROUP}/{PHOTO_FIELD}" mediatype="image/*">'
            "<label>Photo</label></upload></repeat></group>"
            f'<upload ref="/data/{VIDEO_FIELD}" mediatype="video/*"><label>Video</label></upload>'
        )
    binds += (
        '<bind nodeset="/data/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>'
    )
    if public_key is not None:
        # ODK XForms, "Encryption": the phone encrypts each finalized submission to this key
        # (base64 DER SubjectPublicKeyInfo) and keeps only the encrypted files.
        binds += f"<submission base64RsaPublicKey={quoteattr(public_key)}/>"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml" '
        'xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" '
        'xmlns:odk="http://www.opendatakit.org/xforms">'
        f"<h:head><h:title>{escape(title)}</h:title>"
        '<model odk:xforms-version="1.0.0"><instance>'
        f"<data id={quoteattr(form_id)} version={quoteattr(version)}>{instance}"
        "<meta><instanceID/></meta></data></instance>"
        f"{binds}</model></h:head><h:body>{body}</h:body></h:html>"
    )


BIND_TYPES = {"date": "date", "time": "time", "int": "int", "geopoint": "geopoint"}


def _bind(question: Question) -> str:
    kind = BIND_TYPES.get(question.kind, "string")
    required = question.required_when or ("true()" if question.required else "")
    attributes = f" required={quoteattr(required)}" if required else ""
    if question.relevant:
        attributes += f" relevant={quoteattr(question.relevant)}"
    if question.kind == "int":
        attributes += ' constraint=". &gt;= 0"'
    return f'<bind nodeset="/data/{question.name}" type="{kind}"{attributes}/>'


def _control(question: Question, options: dict[str, str]) -> str:
    label = f"<label>{escape(question.label)}</label>"
    ref = f'ref="/data/{question.name}"'
    if question.kind in ("select1", "select"):
        items = "".join(
            f"<item><label>{escape(text)}</label><value>{escape(value)}</value></item>"
            for value, text in options.items()
        )
        return f"<{question.kind} {ref}>{label}{items}</{question.kind}>"
    appearance = ' appearance="multiline"' if question.kind == "text" else ""
    return f"<input {ref}{appearance}>{label}</input>"


def form_list(forms: list[BuiltForm], download_url) -> bytes:
    """The OpenRosa Form List API document; download_url(form_id) gives each form's address."""
    entries = "".join(
        "<xform>"
        f"<formID>{escape(form.form_id)}</formID>"
        f"<name>{escape(form.title)}</name>"
        f"<version>{escape(form.version)}</version>"
        f"<hash>{form.md5}</hash>"
        f"<downloadUrl>{escape(download_url(form.form_id))}</downloadUrl>"
        "</xform>"
        for form in forms
    )
    return f'<xforms xmlns="{FORMLIST_NS}">{entries}</xforms>'.encode()


FORM_KEY_UNUSABLE = (
    "This server's form key is missing or not the pinned one; no form is published until "
    "the operator copies it again."
)


def published_forms(viewer: InvestigationViewer) -> dict[str, BuiltForm]:
    """The forms this investigation publishes to this member's devices, by form id.

    Encrypted to the node's form key (a reading node's own; an intake node's pinned copy of
    the reading node's), or unencrypted where none is set (app/openrosa/form_key.py).
    KeyStoreError when an intake node's pinned key is missing or replaced.
    """
    key = form_public_key()
    forms = (
        build_incident_form(key),
        build_interview_form(viewer, key),
        build_witness_form(key),
    )
    return {form.form_id: form for form in forms}
