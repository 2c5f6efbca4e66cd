"""`flask evidence import-captures DIR --investigation REF`: each capture received through the
upload path or refused with its reason, a progress bar, a summary; nothing half-stored."""

from __future__ import annotations

import hashlib
import os

from sqlalchemy import select

from app.extensions import db
from app.vault.models import EvidenceItem
from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory
from tests.security.intake_channels import (  # noqa: F401 (fixtures)
    custody_actions,
    stored_state,
    vault_dir_fixture,
)
from tests.webcapture.captures import wacz_bytes, wacz_members, warc_bytes


def run(app, folder, reference, email):
    return app.test_cli_runner().invoke(
        args=[
            "evidence",
            "import-captures",
            str(folder),
            "--investigation",
            reference,
            "--by",
            email,
        ]
    )


def a_member():
    investigation = InvestigationFactory()
    user = UserFactory(role="field")
    MembershipFactory(user=user, investigation=investigation)
    db.session.commit()
    return investigation, user


def test_a_folder_is_received_capture_by_capture_with_a_summary(app, app_ctx, vault_dir, tmp_path):
    investigation, user = a_member()
    folder = tmp_path / "captures"
    (folder / "day2").mkdir(parents=True)
    good, warc = wacz_bytes(), warc_bytes()
    members = wacz_members()
    tampered = wacz_bytes(
        dict(members, **{"pages/pages.jsonl": members["pages/pages.jsonl"] + b"\n"}),
        declared=members,
    )
    (folder / "market.wacz").write_bytes(good)
    (folder / "day2" / "hospital.warc.gz").write_bytes(warc)
    (folder / "day2" / "tampered.wacz").write_bytes(tampered)
    (folder / "notes.txt").write_bytes(b"Notes about the captures, not a capture.\n")
    (folder / "empty.warc").write_bytes(b"")
    (folder / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    os.symlink("/etc/passwd", folder / "link.warc")

    result = run(app, folder, investigation.reference, user.email)
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    received = {
        line.split(" -> ")[0].removeprefix("received: "): line
        for line in lines
        if line.startswith("received:")
    }
    assert set(received) == {"market.wacz", "day2/hospital.warc.gz", "day2/tampered.wacz"}
    assert received["market.wacz"].endswith("check passed")
    assert (
        "check failed (pages/pages.jsonl: 282 bytes, datapackage.json declares 281)"
        in received["day2/tampered.wacz"]
    )
    refused = {line for line in lines if line.startswith("refused:")}
    assert any(line.startswith("refused: notes.txt: type_not_allowed") for line in refused)
    assert any(line.startswith("refused: empty.warc: empty") for line in refused)
    assert "refused: link.warc: a symbolic link, not followed" in refused
    assert not any(".DS_Store" in line for line in lines)
    assert lines[-1] == "total: 3 received, 3 refused"
    assert "Receiving" in result.stderr  # the progress bar

    db.session.expire_all()
    items = db.session.scalars(select(EvidenceItem)).all()
    assert {i.sha256 for i in items} == {
        hashlib.sha256(data).hexdigest() for data in (good, warc, tampered)
    }
    assert all(i.investigation_id == investigation.id and i.kind == "web_capture" for i in items)
    assert all(i.uploaded_by_id == user.id for i in items)
    assert all("received" in custody_actions(i.id) for i in items)


def test_a_refused_capture_leaves_nothing_stored(app, app_ctx, vault_dir, tmp_path):
    investigation, user = a_member()
    folder = tmp_path / "captures"
    folder.mkdir()
    (folder / "only.txt").write_bytes(b"Not a capture at all.\n")
    result = run(app, folder, investigation.reference, user.email)
    assert result.exit_code == 1
    assert "total: 0 received, 1 refused" in result.output
    state = stored_state()
    assert (state.evidence, state.blobs, state.incomplete) == (0, (), ())


def test_only_a_member_may_import_into_an_investigation(app, app_ctx, vault_dir, tmp_path):
    investigation, _ = a_member()
    stranger = UserFactory(role="field")
    db.session.commit()
    folder = tmp_path / "captures"
    folder.mkdir()
    (folder / "c.wacz").write_bytes(wacz_bytes())
    result = run(app, folder, investigation.reference, stranger.email)
    assert result.exit_code != 0
    assert "is not a member" in result.stderr
    assert db.session.scalar(select(EvidenceItem.id)) is None
    assert "No investigation" in run(app, folder, "NOPE-1", stranger.email).stderr
