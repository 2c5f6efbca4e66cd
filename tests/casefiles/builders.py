"""Case-file records for other tests (the route matrix), made through the real services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.casefiles.models import CaseExport, LegalCrime
from app.casefiles.services import casefiles
from app.casefiles.services.frameworks import load_shipped_frameworks
from app.casefiles.services.removals import remove_item
from app.extensions import db
from tests.helpers.factories import MembershipFactory, UserFactory


@dataclass
class CaseRecords:
    casefile: Any
    item: Any
    link: Any
    export: Any
    framework_code: str
    removal: Any = None


def make_case_records(investigation, evidence, author=None, removed=None) -> CaseRecords:
    """A draft case file by its own lawyer holding `evidence`, linked to an element, with an
    export record (not run) that lawyer asked for, and the shipped frameworks loaded. `author`
    is a lawyer member already made (the route matrix's export requester), else a new one;
    `removed`, an (item type, id) added and then removed, leaves a removal that can be undone."""
    load_shipped_frameworks()
    if author is None:
        author = UserFactory(role="lawyer")
        MembershipFactory(user=author, investigation=investigation)
    crime = db.session.scalar(select(LegalCrime).where(LegalCrime.code == "8(2)(e)(iv)"))
    casefile = casefiles.create_casefile(
        investigation, author, "Matrix case", "Which crime?", [crime.id]
    )
    item = casefiles.add_item(casefile, investigation, author, "evidence", evidence.id)
    link = casefiles.link_element(
        casefile, author, item, crime.elements[0].id, "supporting", "note"
    )
    export = CaseExport(
        casefile_id=casefile.id,
        investigation_id=investigation.id,
        requested_by_id=author.id,
        files="originals",
        for_whom="nobody",
        named_witness_ids=[],
        excluded=[],
    )
    db.session.add(export)
    removal = None
    if removed:
        extra = casefiles.add_item(casefile, investigation, author, *removed)
        removal = remove_item(casefile, author, extra)
    db.session.commit()
    return CaseRecords(casefile, item, link, export, crime.framework.code, removal)
