"""Media where the testimony is (issue 18, item 5): from the interview page, several files are
uploaded through the vault's one intake and attached in one step, or picked (nothing ticked for
the person); names and thumbnails are shown within the viewer's identity rights, before sealing
too; files are detached before sealing. Nothing half-stored, nothing shown that may not be."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from app.custody.models import LedgerEntry
from app.extensions import db
from app.intake.models import InterviewEvidence
from app.vault.models import DerivativeKind, EvidenceItem
from tests.helpers.media import jpeg_with_exif, png_bytes
from tests.helpers.web import csrf_token, error_summary_in, post_form
from tests.intake.builders import evidence_row, make_incident, make_interview, make_witness
from tests.vault.vault_support import amr_nb


@pytest.fixture
def draft(world, keys):
    incident = make_incident(world.investigation, world.field_a)
    witness = make_witness(world.investigation, world.field_a)
    return make_interview(world.investigation, world.field_a, witness, incidents=[incident])


def page_url(world, draft) -> str:
    return world.url(f"/interviews/{draft.id}")


def upload(client, world, draft, files, role=None, token=True):
    """Post the page's upload form as a browser does: token, then the role, then the files."""
    data = {}
    if token:
        data["csrf_token"] = csrf_token(client, page_url(world, draft))
    if role is not None:
        data["role"] = role
    data["files"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(
        world.url(f"/interviews/{draft.id}/evidence/upload"),
        data=data,
        content_type="multipart/form-data",
    )


def links(draft) -> dict[str, str]:
    """Evidence id -> role, for the files attached to the interview."""
    db.session.expire_all()
    rows = db.session.execute(
        select(InterviewEvidence.evidence_id, InterviewEvidence.role).where(
            InterviewEvidence.interview_id == draft.id
        )
    )
    return dict(rows.all())


def evidence_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(EvidenceItem))


def ledger_length() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(LedgerEntry))


PHOTOS = [("market-entrance.jpg", jpeg_with_exif()), ("crater.png", png_bytes((120, 80), "RGB"))]


def test_several_files_are_uploaded_and_attached_in_one_step(world, client_for, draft):
    client = client_for(world.field_a)
    response = upload(client, world, draft, PHOTOS)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(page_url(world, draft))
    attached = links(draft)
    assert len(attached) == 2 and set(attached.values()) == {"attachment"}
    items = [db.session.get(EvidenceItem, evidence_id) for evidence_id in attached]
    assert {item.uploaded_by_id for item in items} == {world.field_a.id}
    assert sorted(item.original_filename for item in items) == sorted(n for n, _ in PHOTOS)


def test_the_page_shows_thumbnails_and_names_within_the_viewers_identity_rights(
    world, client_for, draft
):
    from app.investigations.models import Membership

    upload(client_for(world.field_a), world, draft, PHOTOS[:1])
    (evidence_id,) = links(draft)
    item = db.session.get(EvidenceItem, evidence_id)
    thumb = next(d for d in item.derivatives if d.kind == DerivativeKind.THUMBNAIL)
    src = world.url(f"/evidence/{evidence_id}/derivatives/{thumb.id}")
    # field_a has no identity grant: the neutral name, never the file name, even for its own.
    page = client_for(world.field_a).get(page_url(world, draft)).get_data(as_text=True)
    assert f'src="{src}"' in page
    assert f"evidence-{evidence_id[:8]}" in page and "market-entrance" not in page
    seal_page = client_for(world.field_a).get(world.url(f"/interviews/{draft.id}/seal"))
    assert f'src="{src}"' in seal_page.get_data(as_text=True)
    assert "market-entrance" not in seal_page.get_data(as_text=True)
    assert client_for(world.field_a).get(src).status_code == 200
    # With the grant, the name the file was sent under.
    membership = db.session.scalar(
        select(Membership).where(
            Membership.user_id == world.field_a.id,
            Membership.investigation_id == world.investigation.id,
        )
    )
    membership.may_see_identities = True
    db.session.commit()
    page = client_for(world.field_a).get(page_url(world, draft)).get_data(as_text=True)
    assert "market-entrance.jpg" in page


def test_the_picker_ticks_nothing_and_attaches_several_ticked_uploads(world, client_for, draft):
    client = client_for(world.field_a)
    first = evidence_row(world.investigation, world.field_a)
    second = evidence_row(world.investigation, world.field_a, kind="photo", media_type="image/png")
    page = client.get(page_url(world, draft)).get_data(as_text=True)
    boxes = re.findall(r'<input type="checkbox" name="evidence_id"[^>]*>', page)
    assert len(boxes) == 2 and not [box for box in boxes if "checked" in box]
    assert "<select" not in page.split('id="files"')[1].split("</section>")[0]
    response = client.post(
        world.url(f"/interviews/{draft.id}/evidence"),
        data={
            "csrf_token": csrf_token(client, page_url(world, draft)),
            "evidence_id": [first.id, second.id],
            "role": "attachment",
        },
    )
    assert response.status_code == 302
    assert links(draft) == {first.id: "attachment", second.id: "attachment"}


def test_picking_a_colleagues_upload_attaches_nothing(world, client_for, draft):
    mine = evidence_row(world.investigation, world.field_a)
    theirs = evidence_row(world.investigation, world.field_b)
    client = client_for(world.field_a)
    response = client.post(
        world.url(f"/interviews/{draft.id}/evidence"),
        data={
            "csrf_token": csrf_token(client, page_url(world, draft)),
            "evidence_id": [mine.id, theirs.id],
            "role": "attachment",
        },
    )
    assert response.status_code == 302
    assert links(draft) == {}  # all or none


def test_only_one_file_becomes_the_recording_and_the_page_says_so(world, client_for, draft):
    client = client_for(world.field_a)
    files = [("call.amr", amr_nb()), ("photo.jpg", jpeg_with_exif())]
    response = upload(client, world, draft, files, role="recording")
    assert response.status_code == 302
    roles = sorted(links(draft).values())
    assert roles == ["attachment", "recording"]
    recording = next(i for i, role in links(draft).items() if role == "recording")
    assert db.session.get(EvidenceItem, recording).kind == "audio"
    followed = client.get(page_url(world, draft)).get_data(as_text=True)
    assert "Only one audio or video file can be the recording" in followed


def test_without_the_form_token_nothing_is_stored(world, client_for, draft):
    before = evidence_count()
    response = upload(client_for(world.field_a), world, draft, PHOTOS, token=False)
    assert response.status_code == 400
    assert evidence_count() == before and links(draft) == {}


@pytest.mark.parametrize("who", ["lawyer", "field_b", "outsider"])
def test_nobody_else_uploads_to_someone_elses_draft(world, client_for, draft, who):
    before = evidence_count()
    client = client_for(getattr(world, who))
    response = client.post(
        world.url(f"/interviews/{draft.id}/evidence/upload"),
        data={"files": [(io.BytesIO(jpeg_with_exif()), "x.jpg")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == (403 if who == "lawyer" else 404)
    assert evidence_count() == before and links(draft) == {}


def test_a_refused_file_is_named_and_the_others_are_stored_and_attached(world, client_for, draft):
    before = evidence_count()
    files = [PHOTOS[0], ("empty.jpg", b"")]
    response = upload(client_for(world.field_a), world, draft, files)
    assert response.status_code >= 400
    text = response.get_data(as_text=True)
    assert 'role="alert"' in text and "empty.jpg" in text
    assert evidence_count() == before + 1 and len(links(draft)) == 1


def test_an_unknown_role_stores_nothing(world, client_for, draft):
    before = evidence_count()
    response = upload(client_for(world.field_a), world, draft, PHOTOS[:1], role="evidence")
    assert response.status_code == 400
    assert evidence_count() == before and links(draft) == {}


def test_a_sealed_testimony_takes_no_upload(world, client_for, draft):
    from app.intake.services.sealing import seal_testimony

    seal_testimony(draft, world.field_a)
    db.session.commit()
    before = evidence_count()
    response = upload(client_for(world.field_a), world, draft, PHOTOS[:1])
    assert response.status_code == 409
    assert evidence_count() == before


def test_a_file_is_detached_before_sealing_and_stays_in_the_vault(world, client_for, draft):
    client = client_for(world.field_a)
    upload(client, world, draft, PHOTOS[:1])
    (evidence_id,) = links(draft)
    response = post_form(
        client,
        world.url(f"/interviews/{draft.id}/evidence/remove"),
        {"evidence_id": evidence_id},
        page=page_url(world, draft),
    )
    assert response.status_code == 302
    assert links(draft) == {}
    assert db.session.get(EvidenceItem, evidence_id) is not None


def test_the_upload_field_takes_several_files_from_camera_or_files(world, client_for, draft):
    page = client_for(world.field_a).get(page_url(world, draft)).get_data(as_text=True)
    (tag,) = re.findall(r'<input type="file"[^>]*>', page)
    assert " multiple" in tag and 'name="files"' in tag
    assert 'accept="image/*,video/*,audio/*,application/pdf,text/plain"' in tag
    form = page[: page.index(tag)].rsplit("<form", 1)[1]
    assert 'enctype="multipart/form-data"' in form
    # The token and the role come before the files: the server reads the body as a stream.
    assert form.index('name="csrf_token"') < form.index('name="role"')


def test_a_reviewer_sees_the_attachments_but_no_upload_or_picker(world, client_for, draft):
    upload(client_for(world.field_a), world, draft, PHOTOS[:1])
    (evidence_id,) = links(draft)
    page = client_for(world.lawyer).get(page_url(world, draft)).get_data(as_text=True)
    assert f"evidence-{evidence_id[:8]}" in page and "market-entrance" not in page
    assert 'type="file"' not in page and 'name="evidence_id" value' not in page
    cleared = client_for(world.lawyer_identities).get(page_url(world, draft))
    assert "market-entrance.jpg" in cleared.get_data(as_text=True)


def test_sent_without_a_file_the_page_gives_the_form_back_saying_what_is_missing(
    world, client_for, draft
):
    """Issue 18: as a browser sends the form with no file chosen (an empty file part), after the
    person chose "the recording": the interview page again, that choice kept, the error
    announced at the top of the files panel and beside the file field; nothing stored."""
    client = client_for(world.field_a)
    before, entries = evidence_count(), ledger_length()
    response = upload(client, world, draft, [("", b"")], role="recording")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    panel = page[page.index('id="files"') :]
    summary = error_summary_in(panel, 'id="files"')
    assert 'href="#interview-files"' in summary
    assert "Choose at least one file to upload." in summary
    assert 'name="role" value="recording" checked' in panel
    assert 'name="role" value="attachment" checked' not in panel
    field = re.search(r'<input type="file" id="interview-files"[^>]*>', panel).group(0)
    assert 'aria-invalid="true"' in field
    assert 'aria-describedby="interview-files-hint interview-files-error"' in field
    assert 'id="interview-files-error">Choose at least one file to upload.' in panel
    assert evidence_count() == before and links(draft) == {}
    assert ledger_length() == entries
