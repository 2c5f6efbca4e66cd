"""A finished export is its requester's alone, is checked again at each download, is withdrawn
when a witness withdraws consent, and expires; every end and every download is in the ledger."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from app.casefiles.models import CaseExport
from app.custody.models import LedgerEntry
from app.extensions import db
from app.investigations.models import Membership
from tests.casefiles.conftest import wait_for_job
from tests.casefiles.test_export_protection import _web_export


def ledger(action: str) -> list[dict]:
    rows = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.action == action).order_by(LedgerEntry.id)
    )
    return [json.loads(row.body) for row in rows]


def finished_export(client, world, **data) -> tuple[CaseExport, str]:
    """A web export run to the end; returns it and its status page URL."""
    form = {"destination": "court", "files": "originals", "for_whom": "OTP", **data}
    response, _ = _web_export(client, world, form)
    assert response.status_code == 302, response.status_code
    status_url = response.headers["Location"]
    assert wait_for_job(client, status_url + "/progress")["state"] == "done"
    db.session.expire_all()
    export = db.session.scalar(select(CaseExport).order_by(CaseExport.requested_at.desc()))
    return export, status_url


def test_after_withdrawal_of_legal_consent_an_earlier_export_can_no_longer_be_downloaded(
    app, approved_case, signed_in, export_dir
):
    from app.intake.services.consent import withdraw_consent

    world = approved_case
    author = signed_in(world.author)
    export, status_url = finished_export(author, world)
    assert world.witness.id in export.witness_ids
    assert author.get(status_url + "/download").status_code == 200

    withdraw_consent(world.witness, world.field, "Arabic", date(2016, 8, 1))
    db.session.commit()

    db.session.expire_all()
    export = db.session.get(CaseExport, export.id)
    assert export.withdrawn_at is not None
    assert "withdrew consent to use in legal proceedings" in export.withdrawn_reason
    assert not Path(export.output_path).exists()
    [entry] = ledger("export_withdrawn")
    assert entry["details"]["export_id"] == export.id
    download = author.get(status_url + "/download")
    assert download.status_code != 200 and b"PK" not in download.data
    assert "No longer offered for download" in author.get(status_url).get_data(as_text=True)


def test_a_withdrawal_that_does_not_touch_the_destination_leaves_the_export(
    app, approved_case, signed_in, export_dir
):
    from app.intake.services.consent import record_consent
    from tests.intake.builders import consent_input

    world = approved_case
    author = signed_in(world.author)
    export, status_url = finished_export(author, world)
    # The witness withdraws publication only: a court export still holds what they agreed to.
    record_consent(world.witness, world.field, consent_input(named=False, publication=False))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(CaseExport, export.id).withdrawn_at is None
    assert author.get(status_url + "/download").status_code == 200


def test_only_the_requester_sees_downloads_or_retries_an_export(
    app, approved_case, signed_in, export_dir
):
    world = approved_case
    author = signed_in(world.author)
    _, status_url = finished_export(author, world)
    colleague = signed_in(world.reviewer)  # a lawyer member of the same investigation
    for suffix in ("", "/progress", "/download"):
        assert colleague.get(status_url + suffix).status_code == 404, suffix
    from tests.helpers.web import post_form

    case_page = status_url.rsplit("/exports/", 1)[0]
    retried = post_form(colleague, status_url + "/retry", {}, page=case_page)
    assert retried.status_code == 404
    assert status_url.rsplit("/", 1)[-1] not in colleague.get(case_page).get_data(as_text=True)


def test_the_identity_grant_is_checked_again_at_download(app, approved_case, signed_in, export_dir):
    world = approved_case
    author = signed_in(world.author)
    _, status_url = finished_export(
        author, world, named_witnesses=[world.hearsay_witness.id], destination="internal_review"
    )
    membership = db.session.scalar(
        select(Membership).where(
            Membership.user_id == world.author.id,
            Membership.investigation_id == world.investigation.id,
        )
    )
    membership.may_see_identities = False
    db.session.commit()
    refused = author.get(status_url + "/download")
    assert refused.status_code == 403
    assert "may no longer see witness identities" in refused.get_data(as_text=True)


def test_finished_exports_expire_after_the_configured_days_and_are_deleted_in_the_ledger(
    app, approved_case, signed_in, export_dir, monkeypatch
):
    from app.casefiles.services.exports import maintain_exports

    world = approved_case
    author = signed_in(world.author)
    export, status_url = finished_export(author, world)
    assert export.expires_at - export.finished_at == timedelta(days=7)
    monkeypatch.setitem(app.config, "CUSTOS_EXPORT_RETENTION_DAYS", 2)
    second, _ = finished_export(author, world)
    assert second.expires_at - second.finished_at == timedelta(days=2)

    from app.casefiles.services.export_lifecycle import expire_exports
    from app.jobs.registry import maintenance_hooks

    assert expire_exports in maintenance_hooks(app)  # the worker's round runs it
    assert maintain_exports() == (0, 0)  # nothing is due yet
    export.expires_at = export.finished_at - timedelta(seconds=1)
    db.session.commit()
    assert author.get(status_url + "/download").status_code != 200  # due, not yet swept
    assert maintain_exports() == (0, 1)
    db.session.expire_all()
    gone = db.session.get(CaseExport, export.id)
    assert gone.withdrawn_at is not None and not Path(gone.output_path).exists()
    assert [e["details"]["export_id"] for e in ledger("export_expired")] == [export.id]
    assert Path(db.session.get(CaseExport, second.id).output_path).exists()


def test_each_download_is_recorded_against_every_item_in_the_export(
    app, approved_case, signed_in, export_dir
):
    world = approved_case
    author = signed_in(world.author)
    export, status_url = finished_export(author, world)
    before = len(ledger("downloaded"))
    assert author.get(status_url + "/download").status_code == 200
    entries = ledger("downloaded")[before:]
    recorded = {(e["object"]["type"], e["object"]["id"]) for e in entries}
    expected = {tuple(ref) for ref in export.item_refs} | {("casefile", world.casefile.id)}
    assert recorded == expected
    assert ("interview", world.interview.id) in recorded
    assert ("interview", world.withdrawn_interview.id) not in recorded  # left out of the bag


def test_consent_is_checked_again_at_download_even_without_the_withdrawal_hook(
    app, approved_case, signed_in, export_dir, monkeypatch
):
    """A consent record that reached the database another way (a restore, a missed hook) is
    still caught: the download asks every witness's consent in force."""
    from app.intake.services.consent import withdraw_consent

    world = approved_case
    author = signed_in(world.author)
    export, status_url = finished_export(author, world)
    monkeypatch.setitem(app.extensions, "custos.consent_hooks", [])
    withdraw_consent(world.witness, world.field, "Arabic", date(2016, 8, 1))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(CaseExport, export.id).withdrawn_at is None  # nothing ran yet

    refused = author.get(status_url + "/download")
    assert refused.status_code == 403
    assert "withdrew consent to use in legal proceedings" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert not Path(db.session.get(CaseExport, export.id).output_path).exists()
    assert [e["details"]["export_id"] for e in ledger("export_withdrawn")] == [export.id]


def test_exports_finished_before_expiry_existed_end_after_the_retention_too(
    app, approved_case, signed_in, export_dir
):
    from app.casefiles.services.exports import maintain_exports

    world = approved_case
    author = signed_in(world.author)
    export, status_url = finished_export(author, world)
    export.expires_at = None  # as the migration leaves an export made before it
    export.finished_at -= timedelta(days=6)
    db.session.commit()
    assert maintain_exports() == (0, 0)
    assert author.get(status_url + "/download").status_code == 200
    export.finished_at -= timedelta(days=2)
    db.session.commit()
    assert author.get(status_url + "/download").status_code != 200
    assert maintain_exports() == (0, 1)
    assert [e["details"]["export_id"] for e in ledger("export_expired")] == [export.id]
