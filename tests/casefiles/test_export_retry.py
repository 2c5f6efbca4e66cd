"""A failed export says why on its page and offers "Try again", which runs it once more."""

from __future__ import annotations

from tests.casefiles.conftest import wait_for_job
from tests.casefiles.test_export_protection import _web_export
from tests.helpers.web import page_messages, post_form


def test_a_failed_export_is_tried_again_from_its_page_and_then_downloads(
    app, built_case, signed_in, tmp_path, export_dir
):
    author = signed_in(built_case.author)
    export_dir.parent.mkdir(parents=True, exist_ok=True)
    export_dir.write_bytes(b"not a folder")  # the store for exports is unusable: the job fails
    response, _ = _web_export(author, built_case, {"files": "originals", "for_whom": "OTP"})
    status_url = response.headers["Location"]
    failed = wait_for_job(author, status_url + "/progress")
    assert failed["state"] == "failed" and failed["message"]

    page = author.get(status_url).get_data(as_text=True)
    form_tag = page.split('<form id="job-retry"')[1].split(">")[0]
    assert "hidden" not in form_tag  # the button shows, without waiting for the script

    export_dir.unlink()  # the operator fixed the folder
    retried = post_form(author, status_url + "/retry", page=status_url)
    assert retried.status_code == 302
    assert "The export is starting again." in page_messages(author.get(status_url))
    done = wait_for_job(author, status_url + "/progress")
    assert done["state"] == "done"
    download = author.get(done["download_url"])
    assert download.status_code == 200
    assert download.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"

    again = post_form(author, status_url + "/retry", page=status_url)
    assert again.status_code == 302
    assert "Only a failed export can be tried again." in page_messages(author.get(status_url))


def test_a_running_or_finished_export_shows_no_retry_button(
    app, built_case, signed_in, tmp_path, export_dir
):
    author = signed_in(built_case.author)
    response, _ = _web_export(author, built_case, {"files": "originals", "for_whom": "OTP"})
    status_url = response.headers["Location"]
    assert wait_for_job(author, status_url + "/progress")["state"] == "done"
    page = author.get(status_url).get_data(as_text=True)
    form_tag = page.split('<form id="job-retry"')[1].split(">")[0]
    assert "hidden" in form_tag


def test_a_failed_exports_half_built_bag_is_removed(
    app, built_case, signed_in, tmp_path, export_dir
):
    """A killed run leaves decrypted copies in its bag folder; they must not stay on disk."""
    from app.casefiles.models import CaseExport
    from app.extensions import db
    from app.jobs.worker import run_maintenance

    author = signed_in(built_case.author)
    export_dir.parent.mkdir(parents=True, exist_ok=True)
    export_dir.write_bytes(b"not a folder")
    response, _ = _web_export(author, built_case, {"files": "originals", "for_whom": "OTP"})
    status_url = response.headers["Location"]
    assert wait_for_job(author, status_url + "/progress")["state"] == "failed"
    export_dir.unlink()
    export_dir.mkdir()
    (export,) = db.session.query(CaseExport).all()
    partial = export_dir / f".{export.id}.tar.age.partial"
    (partial / "data").mkdir(parents=True)
    (partial / "data" / "photo.jpg").write_bytes(b"decrypted evidence")
    (export_dir / f"{export.id}.tar.age.tmp").write_bytes(b"half a tar")

    result = app.test_cli_runner().invoke(args=["case", "prune-exports"])
    assert result.exit_code == 0 and "leftovers of 1 failed export" in result.output
    assert list(export_dir.iterdir()) == []

    (partial / "data").mkdir(parents=True)  # the progress page cleans up as well
    wait_for_job(author, status_url + "/progress")
    assert list(export_dir.iterdir()) == []

    (partial / "data").mkdir(parents=True)  # and so does each worker maintenance round
    run_maintenance(app)
    assert list(export_dir.iterdir()) == []
