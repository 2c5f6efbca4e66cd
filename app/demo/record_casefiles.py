"""Demo case files: characterizations, items, element links, grades, the party's response, review.

The accused party's denial has no table of its own: it is what a lawyer would do with it
today, an evidence item (the statement as a document, uploaded through the vault) added to
the case file, linked as UNDERMINING the elements it contests, graded, and annotated as the
party's response. Everything goes through the case-file services, so each step is in the
custody ledger against its item (linked_to_case, assessed, annotated).
"""

from __future__ import annotations

from sqlalchemy import select

from app.casefiles.models import CaseItem, LegalCrime, LegalElement, LegalFramework
from app.casefiles.services.assessments import annotate_item, assess_item, corroborate
from app.casefiles.services.casefiles import add_item, create_casefile, link_element
from app.casefiles.services.workflow import transition
from app.demo.specs import CaseFileSpec, ItemSpec, ScenarioError
from app.demo.world import DemoWorld, loading
from app.extensions import db

FRAMEWORK = "rome-statute-art8"  # app/taxonomy/legal/rome-statute-art8.yaml


def crimes_by_code(codes: tuple[str, ...]) -> dict[str, LegalCrime]:
    found = {
        crime.code: crime
        for crime in db.session.scalars(
            select(LegalCrime)
            .join(LegalFramework)
            .where(LegalFramework.code == FRAMEWORK, LegalCrime.code.in_(codes))
        )
    }
    missing = sorted(set(codes) - set(found))
    if missing:
        raise ScenarioError(f"the {FRAMEWORK} framework has no {', '.join(missing)}")
    return found


def _element(crime: LegalCrime, code: str) -> LegalElement:
    for element in crime.elements:
        if element.code == code:
            return element
    raise ScenarioError(f"{crime.code} has no element {code!r}")


def _item_id(world: DemoWorld, item: ItemSpec) -> str:
    rows = {"incident": world.incidents, "interview": world.interviews, "evidence": world.evidence}
    return rows[item.item_type][item.key].id


def record_casefile(world: DemoWorld, spec: CaseFileSpec) -> None:
    author = world.user(spec.author)
    crimes = crimes_by_code(spec.crimes)
    casefile = create_casefile(
        world.investigation,
        author,
        spec.title,
        spec.legal_question,
        [crimes[code].id for code in spec.crimes],
    )
    case_items: dict[str, CaseItem] = {}
    for item in spec.items:
        case_item = add_item(
            casefile, world.investigation, author, item.item_type, _item_id(world, item)
        )
        case_items[item.ref] = case_item
        for link in item.links:
            element = _element(crimes[link.crime], link.element)
            link_element(casefile, author, case_item, element.id, link.stance, link.note)
        if item.grade:
            grade = item.grade
            assess_item(
                casefile, author, case_item, grade.reliability, grade.credibility, grade.rationale
            )
        if item.annotation:
            annotate_item(casefile, author, case_item, item.annotation)
    for link in spec.corroborations:
        corroborate(
            casefile, author, case_items[link.source], case_items[link.target].id, link.note
        )
    if spec.send_for_review:
        transition(world.investigation, casefile, author, "in_review", spec.send_for_review)
    world.casefiles[spec.key] = casefile


def record_casefiles(world: DemoWorld) -> None:
    for spec in world.scenario.casefiles:
        with loading(f"case file {spec.key}"):
            record_casefile(world, spec)
        db.session.commit()
