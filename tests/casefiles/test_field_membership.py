"""A lawyer account holding field membership sees, through case files, only what the vault's own
pages show it: its own uploads, never a colleague's evidence (list, add, preview, export)."""

from __future__ import annotations

import pytest

from app.casefiles.services import casefiles
from app.casefiles.services.errors import CaseFileError
from app.casefiles.services.items import candidates
from app.extensions import db
from tests.casefiles.conftest import crime
from tests.helpers.factories import MembershipFactory, UserFactory


@pytest.fixture
def field_lawyer(world):
    """A lawyer account whose membership in this investigation is a field one."""
    user = UserFactory(role="lawyer", email="field.lawyer@example.org")
    MembershipFactory(user=user, investigation=world.investigation, role="field")
    db.session.commit()
    return user


def test_case_file_candidates_hold_no_colleagues_evidence(world, field_lawyer):
    listed = {s.item_id for s in candidates(world.investigation, field_lawyer)}
    assert world.photo.id not in listed


def test_a_colleagues_evidence_cannot_be_added_to_a_case_file(world, field_lawyer):
    casefile = casefiles.create_casefile(
        world.investigation, field_lawyer, "Own file", "What happened?", [crime("8(2)(e)(iv)").id]
    )
    db.session.commit()
    with pytest.raises(CaseFileError):
        casefiles.add_item(casefile, world.investigation, field_lawyer, "evidence", world.photo.id)


def test_a_colleagues_evidence_in_a_case_file_is_neither_listed_nor_previewed(
    built_case, field_lawyer, signed_in
):
    world = built_case
    client = signed_in(field_lawyer)
    base = f"/investigations/{world.investigation.reference}/cases/{world.casefile.reference}"
    page = client.get(base)
    assert world.photo.sha256[:12] not in page.get_data(as_text=True)
    assert f"evidence-{world.photo.id[:8]}" not in page.get_data(as_text=True)
    assert world.photo.id not in page.get_data(as_text=True)  # no thumbnail, no link
    preview = client.get(f"{base}/items/{world.items['photo'].id}/preview")
    assert preview.status_code in (403, 404)
    assert not preview.get_data().startswith(b"\xff\xd8")  # no JPEG left the server
    new_case = f"/investigations/{world.investigation.reference}/cases/new"
    listing = client.get(new_case)
    assert world.photo.id not in listing.get_data(as_text=True)


def test_an_export_by_a_field_lawyer_carries_no_colleagues_evidence(built_case, field_lawyer):
    from app.casefiles.services.destinations import rule_for
    from app.casefiles.services.exports import exporter_for
    from app.casefiles.services.redaction import plan_export

    world = built_case
    exporter = exporter_for(world.investigation, field_lawyer)
    rule = rule_for("internal_review")
    plan = plan_export(world.investigation, world.casefile, exporter, rule=rule)
    assert world.photo.id not in {planned.obj.id for planned in plan.included}
    assert world.photo.id in {left.item_id for left in plan.excluded}  # said, not shipped


def test_an_export_by_a_lawyer_without_the_identity_grant_carries_no_file_name(
    built_case, signed_in, tmp_path, export_dir
):
    from tests.casefiles.test_export_protection import _download_bag, _web_export

    reviewer = signed_in(built_case.reviewer)  # a lawyer member without the grant
    response, _ = _web_export(reviewer, built_case, {"files": "originals", "for_whom": "OTP"})
    bag = _download_bag(reviewer, built_case, response, tmp_path)
    names = [path.name for path in bag.rglob("*")]
    assert not [name for name in names if "entrance" in name]
    everything = b"".join(p.read_bytes() for p in bag.rglob("*") if p.is_file())
    assert b"entrance.jpg" not in everything
