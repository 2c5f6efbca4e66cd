"""Shared setups of the retention tests: a case file gathering items, a finished export of one."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from app.casefiles.models import CaseExport, CaseFile, CaseItem
from app.extensions import db
from app.timeutil import utcnow


def casefile_with(world, reference: str, *items, item_type: str = "evidence") -> CaseFile:
    """A draft case file of the world's investigation holding `items` (evidence or interviews)."""
    casefile = CaseFile(
        investigation_id=world.investigation.id,
        number=int(db.session.query(CaseFile).count()) + 1,
        reference=reference,
        title="Hospital strike",
        legal_question="Who fired?",
        author_id=world.asker.id,
    )
    db.session.add(casefile)
    db.session.flush()
    for item in items:
        add_to_casefile(casefile, item, item_type)
    db.session.commit()
    return casefile


def add_to_casefile(casefile: CaseFile, item, item_type: str = "evidence") -> None:
    """Gather one more item into the case file (the caller commits)."""
    db.session.add(
        CaseItem(
            casefile_id=casefile.id,
            investigation_id=casefile.investigation_id,
            item_type=item_type,
            item_id=item.id,
        )
    )


def finished_export(
    world, casefile: CaseFile, bag: Path, finished_at: datetime | None = None, **fields
) -> CaseExport:
    """A finished export of `casefile` whose bag is the file `bag` (written here)."""
    bag.write_bytes(b"a finished bag")
    export = CaseExport(
        casefile_id=casefile.id,
        investigation_id=world.investigation.id,
        requested_by_id=world.asker.id,
        for_whom="OTP",
        output_path=str(bag),
        finished_at=finished_at or utcnow(),
        **fields,
    )
    db.session.add(export)
    db.session.commit()
    return export


def witness_with_attachment(world, legal_proceedings: bool = False):
    """A witness whose one interview has a stored item attached: (witness, interview, item)."""
    from app.intake.models.interviews import InterviewEvidence
    from app.intake.services.taxonomy import sync_taxonomies
    from tests.intake.builders import consent_input, make_interview, make_witness
    from tests.retention.conftest import stored_item

    sync_taxonomies()
    db.session.commit()
    consent = consent_input(legal_proceedings=legal_proceedings)
    witness = make_witness(world.investigation, world.field, consent, full_name="X Y")
    interview = make_interview(world.investigation, world.field, witness)
    item = stored_item(world)
    db.session.add(
        InterviewEvidence(interview_id=interview.id, evidence_id=item.id, role="attachment")
    )
    db.session.commit()
    return witness, interview, item


def close_casefile(world, casefile: CaseFile) -> None:
    """Approve it for referral (its last step) through the real workflow: two lawyers."""
    from app.casefiles.services.workflow import transition

    transition(world.investigation, casefile, world.asker, "in_review", "Ready")
    transition(world.investigation, casefile, world.approver, "approved", "Approved")
    db.session.commit()


def reopen_casefile(world, casefile: CaseFile) -> None:
    from app.casefiles.services.workflow import transition

    transition(world.investigation, casefile, world.asker, "draft", "New evidence came in")
    db.session.commit()
