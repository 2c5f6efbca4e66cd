"""The demo's phone submission: an interview with photos sent over OpenRosa, as a phone sends it.

A device credential is issued to the field worker and revoked once it has sent (its password
is never shown: the demo prints no phone credential); the submission is an ODK Collect
multipart body (`xml_submission_file`, then one part per photo) read by the same service the
`/openrosa/<reference>/submission` endpoint calls, so the draft, the photos, their incident
links and the ledger entries naming the channel are what a phone would leave. It is sent as
a phone on an unencrypted form sends it (the server takes both; tests/openrosa/ covers the
encrypted path).
"""

from __future__ import annotations

import io
import uuid
from xml.sax.saxutils import escape

from app.demo.media import demo_photo
from app.demo.specs import PhoneSubmissionSpec
from app.demo.world import DemoLoadFailed, DemoWorld, loading
from app.extensions import db
from app.intake.models import Interview
from app.investigations.viewer import viewer_of
from app.openrosa.devices import issue_device, revoke_device
from app.openrosa.submission_xml import SubmissionRejected
from app.openrosa.submissions import receive_submission
from app.openrosa.xforms import INTERVIEW_FORM_ID, published_forms
from app.vault.models import EvidenceItem
from app.vault.upload.multipart import iter_multipart_events

BOUNDARY = b"demo-odk-collect-boundary"
PHOTO_INDEX = 20  # places the phone's photos apart from the incident's other demo photos


def record_phone_submissions(world: DemoWorld) -> None:
    for spec in world.scenario.phone_submissions:
        with loading(f"phone submission {spec.key}"):
            _send(world, spec)


def _send(world: DemoWorld, spec: PhoneSubmissionSpec) -> None:
    user = world.user(spec.by)
    incident = world.scenario.incident(spec.incident)
    photos = [
        demo_photo(incident, photo, PHOTO_INDEX + index) for index, photo in enumerate(spec.photos)
    ]
    issued = issue_device(user, world.investigation.id, "Demo phone", None)
    db.session.commit()
    xml = _interview_xml(world, spec, [photo.filename for photo in photos])
    body = _multipart(xml, [(photo.filename, photo.data) for photo in photos])
    try:
        outcome = receive_submission(
            world.investigation,
            issued.device,
            user,
            iter_multipart_events(io.BytesIO(body).read, BOUNDARY),
        )
    except SubmissionRejected as refused:
        raise DemoLoadFailed(f"phone submission {spec.key}: {refused.message}") from None
    revoke_device(user, issued.device.id)
    db.session.commit()
    row = outcome.submission
    world.interviews[spec.key] = db.session.get(Interview, row.interview_id)
    for photo, attachment in zip(spec.photos, row.attachments, strict=True):
        world.evidence[photo.key] = db.session.get(EvidenceItem, attachment.evidence_id)


def _interview_xml(world: DemoWorld, spec: PhoneSubmissionSpec, photo_names: list[str]) -> bytes:
    values = {
        "incident": world.incidents[spec.incident].id,
        "shows": "aftermath",
        "witness": world.witnesses[spec.witness].id,
        "conducted_on": spec.conducted_on.isoformat(),
        "mode": "in_person",
        "first_hand": "yes",
        "place": spec.place,
        "language": spec.language,
        "transcript": spec.transcript,
    }
    fields = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in values.items())
    photos = "".join(f"<photos><photo>{escape(name)}</photo></photos>" for name in photo_names)
    # The version of the form the phone would hold now (it is recorded in the ledger).
    viewer = viewer_of(world.investigation, world.user(spec.by))
    version = published_forms(viewer)[INTERVIEW_FORM_ID].version
    return (
        f'<?xml version="1.0"?><data id="{INTERVIEW_FORM_ID}" version="{version}">{fields}{photos}'
        f"<video/><meta><instanceID>uuid:{uuid.uuid4()}</instanceID></meta></data>"
    ).encode()


def _multipart(xml: bytes, files: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    parts = [("xml_submission_file", "submission.xml", "text/xml", xml)]
    parts += [(name, name, "image/jpeg", data) for name, data in files]
    for name, filename, media_type, data in parts:
        out.write(b"--" + BOUNDARY + b"\r\n")
        out.write(
            f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {media_type}\r\n\r\n".encode()
        )
        out.write(data + b"\r\n")
    out.write(b"--" + BOUNDARY + b"--\r\n")
    return out.getvalue()
