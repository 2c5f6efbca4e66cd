"""Starting an export asks why; the reason goes on the investigation's access report."""

from __future__ import annotations

from sqlalchemy import select

from app.accesslog.models import AccessRecord
from app.casefiles.models import CaseExport
from app.extensions import db
from tests.casefiles.conftest import wait_for_job
from tests.casefiles.test_export_protection import _web_export


def test_an_export_without_a_reason_does_not_start(approved_case, signed_in, export_dir):
    author = signed_in(approved_case.author)
    refused, _ = _web_export(
        author, approved_case, {"files": "originals", "for_whom": "OTP", "access_reason": ""}
    )
    assert refused.status_code == 400
    assert "Choose why you need to read this." in refused.get_data(as_text=True)
    assert db.session.scalars(select(CaseExport)).first() is None


def test_an_exports_reason_is_on_the_access_report(approved_case, signed_in, export_dir):
    author = signed_in(approved_case.author)
    started, _ = _web_export(
        author,
        approved_case,
        {
            "files": "originals",
            "for_whom": "OTP",
            "access_reason": "legal_proceedings",
            "access_reason_text": "filing with the chamber",
        },
    )
    assert started.status_code == 302
    assert wait_for_job(author, started.headers["Location"] + "/progress")["finished"]
    db.session.expire_all()
    (record,) = db.session.scalars(select(AccessRecord).filter_by(kind="export"))
    assert (record.user_id, record.label) == (
        approved_case.author.id,
        approved_case.casefile.reference,
    )
    report = author.get(f"/investigations/{approved_case.investigation.reference}/access-report")
    assert "filing with the chamber" in report.get_data(as_text=True)
