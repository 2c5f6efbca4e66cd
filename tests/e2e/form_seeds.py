"""Records that make the rarer forms appear, added to a live server's demo for the form-error walk.

Run as `python -m tests.e2e.form_seeds FIELD_EMAIL LAWYER_EMAIL ADMIN_EMAIL` with the server's
environment (tests/e2e/live_server.py `server_env`): the records go in through the app's own
services, in the demo investigation, and the script prints one JSON object naming, for each
role, the pages (paths) that hold the forms. What each record is for:

- a ledger alarm (custody.acknowledge_alarm: only a broken ledger offers its form, and only to
  an admin who is a member), in an investigation of its own (ALARM_REFERENCE) with the demo
  admin as its lead, so that no export of the demo is blocked and the admin walks of other
  tests stay as they were: the test acknowledges the alarm and revokes the membership;
- testimony sealed before language codes (record format 1, its language as free text):
  intake.fix_interview_languages;
- a draft interview whose languages and interpreter are answered, with one of the field
  researcher's uploads attached: intake.seal_interview and intake.unlink_interview_evidence;
- a witness whose consent was withdrawn and given back by the field researcher, waiting for a
  second reviewer: intake.witness_regrant; and a legal hold on that witness:
  retention.request_release;
- a suggested near-duplicate pair of two photos: duplicates.duplicate_decision;
- a photo in the demo lawyer's draft case file: casefiles.redact (and that draft's video, whose
  page casefiles.redact_media is, named for the walk);
- an API token and an OpenRosa device of the field researcher: their revoke buttons;
- and, named for the walk, an item no approved case file holds (acquisition's form).
"""

from __future__ import annotations

import json
import sys

from sqlalchemy import select

ALARM_REFERENCE = "E2E-LEDGER-ALARM"


def seed(field_email: str, lawyer_email: str, admin_email: str) -> dict:
    from app.acquisition.services import acquisition_locked
    from app.api.tokens.services import create_token
    from app.auth.models import User
    from app.casefiles.models import CaseFile, CaseItem
    from app.casefiles.services.casefiles import add_item
    from app.custody.alarms import raise_alarm
    from app.duplicates.models import EvidenceLink
    from app.extensions import db
    from app.intake.services.attachments import attach_picked
    from app.intake.services.consent import record_consent
    from app.intake.services.consent_regrants import request_regrant
    from app.intake.services.sealing import seal_testimony
    from app.investigations.models import Investigation, Membership
    from app.investigations.viewer import viewer_of
    from app.openrosa.devices import issue_device
    from app.retention.holds import HoldInput, place_hold
    from app.vault.models import EvidenceItem
    from tests.e2e.live_server import DEMO_REFERENCE
    from tests.intake.builders import consent_input, make_interview, make_witness

    field = db.session.scalar(select(User).where(User.email == field_email))
    lawyer = db.session.scalar(select(User).where(User.email == lawyer_email))
    investigation = db.session.scalar(
        select(Investigation).where(Investigation.reference == DEMO_REFERENCE)
    )
    base = f"/investigations/{DEMO_REFERENCE}"
    own_uploads = db.session.scalars(
        select(EvidenceItem)
        .where(
            EvidenceItem.investigation_id == investigation.id,
            EvidenceItem.uploaded_by_id == field.id,
        )
        .order_by(EvidenceItem.received_at)
    ).all()
    assert own_uploads, "the demo's field researcher uploaded nothing"
    photos = db.session.scalars(
        select(EvidenceItem)
        .where(EvidenceItem.investigation_id == investigation.id, EvidenceItem.kind == "photo")
        .order_by(EvidenceItem.received_at)
    ).all()
    assert len(photos) >= 2, "the demo holds fewer than two photos"

    admin = db.session.scalar(select(User).where(User.email == admin_email))
    broken = Investigation(
        reference=ALARM_REFERENCE,
        title="A ledger alarm to acknowledge (e2e)",
        description="Made by tests/e2e/form_seeds.py.",
    )
    db.session.add(broken)
    db.session.flush()
    db.session.add(Membership(investigation_id=broken.id, user_id=admin.id, role="lead"))
    raise_alarm(db.session, broken.id, None, "Seeded by the form-error walk (e2e).")

    flagged = make_witness(investigation, field, full_name="Samir Haddad (e2e)")
    written = make_interview(investigation, field, flagged, transcript="Sealed before codes.")
    written.record_format, written.languages, written.language = 1, "", "Syrian dialect"
    db.session.flush()
    seal_testimony(written, field)

    # Languages chosen and the interpreter question answered (the builder's defaults).
    draft = make_interview(investigation, field, flagged, transcript="A draft ready to seal (e2e).")
    attach_picked(draft, field, [own_uploads[0].id], "attachment")

    withdrawn = make_witness(investigation, field, full_name="Huda Sarraf (e2e)")
    nothing = {p: False for p in ("interview", "legal_proceedings", "un_sharing", "publication")}
    record_consent(withdrawn, field, consent_input(**nothing, named=False))
    request_regrant(withdrawn, field, consent_input(), own_uploads[0].id)
    place_hold(
        viewer_of(investigation, lawyer),
        HoldInput("witness", withdrawn.code, "Court (e2e)", "ORDER-E2E-1", "Seeded (e2e)."),
    )

    first, second = photos[0], photos[1]
    db.session.add(
        EvidenceLink(
            investigation_id=investigation.id,
            first_id=first.id,
            second_id=second.id,
            kind="near",
            status="suggested",
            distance=12,
            implementation="seeded (e2e)",
        )
    )

    drafts = db.session.scalars(
        select(CaseFile).where(
            CaseFile.investigation_id == investigation.id,
            CaseFile.author_id == lawyer.id,
            CaseFile.status == "draft",
        )
    ).all()
    assert drafts, "the demo lawyer has no draft case file"
    casefile = drafts[0]
    photo_item = db.session.scalar(
        select(CaseItem).where(CaseItem.casefile_id == casefile.id, CaseItem.item_id == first.id)
    ) or add_item(casefile, investigation, lawyer, "evidence", first.id)
    video_item = db.session.scalar(
        select(CaseItem)
        .join(EvidenceItem, EvidenceItem.id == CaseItem.item_id)
        .where(
            CaseItem.casefile_id == casefile.id,
            CaseItem.item_type == "evidence",
            EvidenceItem.kind == "video",
        )
    )
    assert video_item is not None, "the demo lawyer's draft holds no video"

    # An item no approved case file holds yet: only its acquisition record may still change.
    changeable = next(item for item in [*photos, *own_uploads] if not acquisition_locked(item))

    create_token(field, "Phone (e2e)", "read", None)
    issue_device(field, investigation.id, "Phone (e2e)", None)
    db.session.commit()
    cases = f"{base}/cases/{casefile.reference}"
    return {
        "field": [f"{base}/interviews/{draft.id}", f"{base}/interviews/{draft.id}/seal"],
        "lawyer": [
            f"{base}/interviews/{written.id}",
            f"{base}/witnesses/{withdrawn.id}/consent",
            f"{base}/retention/holds",
            f"{base}/evidence/{first.id}",
            f"{base}/evidence/{changeable.id}",
            f"{cases}/items/{photo_item.id}/redact",
            f"{cases}/items/{video_item.id}/redact-media",
        ],
        "admin": [f"/investigations/{ALARM_REFERENCE}/custody"],
    }


def main(argv: list[str]) -> None:
    from app import create_app

    with create_app().app_context():
        print(json.dumps(seed(*argv)))


if __name__ == "__main__":
    main(sys.argv[1:])
